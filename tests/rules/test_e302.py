from helpers import apply_fix, line_containing, lines_of, parses, run_rules



APP = """
    import express from 'express';
    import { logger } from './logger';

    const app = express();
    app.use(express.json());
    app.get('/health', (_req, res) => res.json({ ok: true }));
    app.listen(3000, () => logger.info('up'));
"""
LOGGER = "import pino from 'pino';\nexport const logger = pino();\n"


def test_untimed_app_fires_and_the_fix_uses_the_imported_logger(tmp_path):
    findings = run_rules(tmp_path, {"src/app.ts": APP, "src/logger.ts": LOGGER}, "E302")
    assert lines_of(tmp_path, findings) == [("src/app.ts", line_containing(APP, "express()"), "E302")]
    fixed = apply_fix(findings[0])
    assert "logger.warn(`slow request:" in fixed and "if (ms > 1000)" in fixed
    assert parses(fixed)


def test_fix_without_a_logger_uses_console_warn(tmp_path):
    app = APP.replace("import { logger } from './logger';\n", "").replace("() => logger.info('up')", "() => undefined")
    findings = run_rules(tmp_path, {"src/app.ts": app}, "E302")
    fixed = apply_fix(findings[0])
    assert "console.warn(`slow request:" in fixed and parses(fixed)


def test_pino_http_in_a_helper_counts_as_timed(tmp_path):
    files = {
        "src/app.ts": "import express from 'express';\nimport { setup } from './setup';\nconst app = express();\nsetup(app);\n",
        "src/setup.ts": "import pinoHttp from 'pino-http';\nimport type { Express } from 'express';\nexport function setup(app: Express) {\n  app.use(pinoHttp());\n}\n",
    }
    assert run_rules(tmp_path, files, "E302") == []


def test_own_finish_timer_counts_as_timed(tmp_path):
    files = {"src/app.ts": """
        import express from 'express';
        import { requestTimer } from './timer';
        const app = express();
        app.use(requestTimer);
    """, "src/timer.ts": """
        import type { NextFunction, Request, Response } from 'express';
        export function requestTimer(req: Request, res: Response, next: NextFunction) {
          const start = Date.now();
          res.on('finish', () => console.log(req.path, Date.now() - start));
          next();
        }
    """}
    assert run_rules(tmp_path, files, "E302") == []


def test_apm_agent_in_package_json_stays_silent(tmp_path):
    files = {"src/app.ts": APP, "src/logger.ts": LOGGER, "package.json": '{"dependencies": {"dd-trace": "^5"}}'}
    assert run_rules(tmp_path, files, "E302") == []


def test_morgan_built_in_a_config_module_and_used_through_its_default_object(tmp_path):
    # config/http-log.ts builds the morgan middlewares and exports them named and as one object.
    files = {
        "src/config/http-log.ts": """
            import morgan from 'morgan';

            export const okLog = morgan(':method :url :status :response-time ms', {
              skip: (_req, res) => res.statusCode >= 400,
            });
            export const failLog = morgan(':method :url :status :response-time ms', {
              skip: (_req, res) => res.statusCode < 400,
            });

            export default { okLog, failLog };
        """,
        "src/config/access.ts": """
            import pinoHttp from 'pino-http';
            export const accessLog = pinoHttp();
        """,
        "src/app.ts": """
            import express from 'express';
            import httpLog from './config/http-log';

            const app = express();
            app.use(httpLog.okLog);
            app.use(httpLog.failLog);
            export default app;
        """,
        "src/admin.ts": """
            import express from 'express';
            import * as access from './config/access';

            export const admin = express();
            admin.use(access.accessLog);
        """,
        "src/worker-api.ts": """
            import express from 'express';
            import morgan from 'morgan';

            const requestLog = morgan('tiny');
            export const api = express();
            api.use(requestLog);
        """,
    }
    assert run_rules(tmp_path, files, "E302") == []


def test_a_request_logger_through_an_interop_shim_counts_as_timed(tmp_path):
    """ESM/CommonJS interop: `pinoHttp` is whichever of the namespace or its
    default is the function. The analyzer does not follow the shim; the
    import is enough to stay silent."""
    app = """
        import express from 'express';
        import * as pinoHttpModule from 'pino-http';
        import { logger } from './logger';

        const pinoHttp = ((pinoHttpModule as any).default ?? pinoHttpModule) as typeof import('pino-http').default;

        const app = express();
        app.use(express.json({ limit: '1mb' }));
        app.use(pinoHttp({ logger }));
        app.get('/health', (_req, res) => res.json({ ok: true }));
        app.listen(3000, () => logger.info('up'));
    """
    files = {"src/app.ts": app, "src/logger.ts": LOGGER}
    assert run_rules(tmp_path, files, "E302") == []
    files["src/app.ts"] = "\n".join(line for line in app.splitlines() if "pinoHttp" not in line)
    assert [c for _, _, c in lines_of(tmp_path, run_rules(tmp_path, files, "E302"))] == ["E302"]
