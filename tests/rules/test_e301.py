from helpers import apply_fix, line_containing, lines_of, parses, run_rules



APP = """
    import express from 'express';
    import { router } from './routes';

    const app = express();
    app.use(express.json());
    app.use('/api', router);

    export default app;
"""
ROUTES = "import { Router } from 'express';\nexport const router = Router();\n"


def test_app_without_compression_fires_with_a_fix_that_parses(tmp_path):
    findings = run_rules(tmp_path, {"src/app.ts": APP, "src/routes.ts": ROUTES, "package.json": '{"dependencies": {"express": "^4"}}'}, "E301")
    assert lines_of(tmp_path, findings) == [("src/app.ts", line_containing(APP, "express()"), "E301")]
    assert "npm install compression @types/compression" in findings[0].message
    fixed = apply_fix(findings[0])
    assert "import compression from 'compression';" in fixed
    assert "const app = express();\napp.use(compression());\napp.use(express.json());" in fixed
    assert parses(fixed)


def test_compression_in_a_setup_helper_in_another_file_counts(tmp_path):
    files = {
        "src/app.ts": """
            import express from 'express';
            import { setupMiddleware } from './middleware';
            const app = express();
            setupMiddleware(app);
            export default app;
        """,
        "src/middleware.ts": """
            import compression from 'compression';
            import type { Express } from 'express';
            export function setupMiddleware(app: Express) {
              app.use(compression({ threshold: 1024 }));
            }
        """,
        "package.json": '{"dependencies": {"express": "^4", "compression": "^1", "@types/compression": "^1"}}',
    }
    assert run_rules(tmp_path, files, "E301") == []


def test_app_handed_to_code_it_cannot_see_stays_silent(tmp_path):
    files = {"src/app.ts": """
        import express from 'express';
        import { applyPlatformDefaults } from '@acme/platform';
        const app = express();
        applyPlatformDefaults(app);
        app.listen(3000);
    """}
    assert run_rules(tmp_path, files, "E301") == []


def test_message_omits_install_hint_when_package_json_has_it(tmp_path):
    files = {"src/app.ts": APP, "src/routes.ts": ROUTES,
             "package.json": '{"dependencies": {"compression": "^1"}, "devDependencies": {"@types/compression": "^1"}}'}
    findings = run_rules(tmp_path, files, "E301")
    assert len(findings) == 1 and "npm install" not in findings[0].message
