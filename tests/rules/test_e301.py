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


def test_app_handed_to_a_framework_adapter_constructor_stays_silent(tmp_path):
    # A serverless entry builds a raw Express instance and gives it to a framework
    # adapter; the factory's caller is seen, but the constructor is not.
    files = {"api/handler.ts": """
        import express from 'express';
        import { PlatformAdapter } from '@acme/platform-express';
        import { bootstrapFramework } from '@acme/core';

        let ready: any;

        async function buildServer() {
          if (ready) return ready;
          const instance = express();
          await bootstrapFramework(new PlatformAdapter(instance));
          ready = instance;
          return instance;
        }

        export default async (req: any, res: any) => {
          const server = await buildServer();
          server(req, res);
        };
    """}
    assert run_rules(tmp_path, files, ["E301", "E302"]) == []


def test_unused_express_instance_is_not_reported(tmp_path):
    # A leftover `express()` that nothing reads serves no response.
    files = {"src/entry.ts": """
        import express from 'express';
        import compression from 'compression';
        import morgan from 'morgan';

        const leftover = express();

        export function start() {
          const app = express();
          app.use(compression());
          app.use(morgan('tiny'));
          app.listen(8080);
        }
    """}
    assert run_rules(tmp_path, files, ["E301", "E302"]) == []


def test_factory_app_defined_after_its_caller_is_still_checked(tmp_path):
    # The caller's file sorts before the factory's: the factory's app is seen.
    files = {
        "src/a_main.ts": """
            import http from 'http';
            import { makeApp } from './z_factory';

            const app = makeApp();
            http.createServer(app).listen(3000);
        """,
        "src/z_factory.ts": """
            import express from 'express';
            import morgan from 'morgan';

            export function makeApp() {
              const app = express();
              app.use(morgan('combined'));
              app.use(express.json());
              return app;
            }
        """,
    }
    findings = run_rules(tmp_path, files, "E301")
    assert [(p, c) for p, _, c in lines_of(tmp_path, findings)] == [("src/z_factory.ts", "E301")]


def _package_json_after(finding) -> str:
    """package.json as the fix leaves it (its edits in that file)."""
    import json
    from pathlib import Path

    edits = [e for e in finding.fixes[0].edits if e.path.endswith("package.json")]
    assert edits, "the fix does not touch package.json"
    data = Path(edits[0].path).read_bytes()
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        data = data[: e.start] + e.new_text.encode() + data[e.end :]
    text = data.decode()
    json.loads(text)  # still JSON
    return text


def test_fix_adds_compression_to_package_json_and_says_to_npm_install(tmp_path):
    package = '{\n  "name": "api",\n  "dependencies": {\n    "express": "^4.21.0",\n    "zod": "^3.23.0"\n  },\n  "devDependencies": {\n    "typescript": "^5.6.0"\n  }\n}\n'
    findings = run_rules(tmp_path, {"src/app.ts": APP, "src/routes.ts": ROUTES, "package.json": package}, "E301")
    (finding,) = findings
    assert finding.fixes[0].then == ("npm install",)
    assert _package_json_after(finding) == (
        '{\n  "name": "api",\n  "dependencies": {\n    "compression": "^1.8.0",\n    "express": "^4.21.0",\n'
        '    "zod": "^3.23.0"\n  },\n  "devDependencies": {\n    "@types/compression": "^1.8.1",\n'
        '    "typescript": "^5.6.0"\n  }\n}\n'
    )


def test_fix_creates_a_missing_section_with_the_files_indentation(tmp_path):
    package = '{\n    "name": "api",\n    "dependencies": {\n        "express": "^4.21.0"\n    }\n}\n'
    (finding,) = run_rules(tmp_path, {"src/app.ts": APP, "src/routes.ts": ROUTES, "package.json": package}, "E301")
    assert _package_json_after(finding) == (
        '{\n    "name": "api",\n    "dependencies": {\n        "compression": "^1.8.0",\n        "express": "^4.21.0"\n    },\n'
        '    "devDependencies": {\n        "@types/compression": "^1.8.1"\n    }\n}\n'
    )


def test_fix_leaves_package_json_alone_when_it_has_compression(tmp_path):
    package = '{"dependencies": {"compression": "^1.7.4", "express": "^4"}, "devDependencies": {"@types/compression": "^1.7.5"}}'
    (finding,) = run_rules(tmp_path, {"src/app.ts": APP, "src/routes.ts": ROUTES, "package.json": package}, "E301")
    assert not any(e.path.endswith("package.json") for e in finding.fixes[0].edits)
    assert finding.fixes[0].then == ()
