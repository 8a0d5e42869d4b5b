


from helpers import apply_fix, line_containing, lines_of, parses, run_rules

SERVICE = """
    import bcrypt from 'bcrypt';
    import fs from 'fs';

    export class AuthService {
      async register(email: string, password: string) {
        const hash = bcrypt.hashSync(password, 10);
        return { email, hash };
      }

      terms() {
        return fs.readFileSync('./terms.html', 'utf8').toString();
      }
    }

    export const authService = new AuthService();
"""
ROUTES = """
    import { Router } from 'express';
    import { authService } from './auth.service';

    export const router = Router();

    router.post('/register', async (req, res) => {
      res.status(201).json(await authService.register(req.body.email, req.body.password));
    });
"""
CONFIG = """
    import fs from 'fs';
    export const privateKey = fs.readFileSync('./key.pem', 'utf8');
"""


def test_blocking_call_reached_from_a_route_is_reported_at_the_call(tmp_path):
    findings = run_rules(tmp_path, {"src/auth.service.ts": SERVICE, "src/routes.ts": ROUTES, "src/config.ts": CONFIG}, "E305")
    assert lines_of(tmp_path, findings) == [("src/auth.service.ts", line_containing(SERVICE, "hashSync"), "E305")]
    assert "POST /register" in findings[0].message and "bcrypt.hashSync" in findings[0].message
    fixed = apply_fix(findings[0])
    assert "const hash = await bcrypt.hash(password, 10);" in fixed and parses(fixed)


def test_sync_function_gets_no_fix_and_precedence_is_kept(tmp_path):
    routes = ROUTES + "\nrouter.get('/terms', (_req, res) => res.send(authService.terms()));\n"
    findings = run_rules(tmp_path, {"src/auth.service.ts": SERVICE, "src/routes.ts": routes}, "E305")
    by_line = {lines_of(tmp_path, [f])[0][1]: f for f in findings}
    assert by_line[line_containing(SERVICE, "readFileSync")].fixes == ()  # terms() is not async


def test_startup_code_is_not_a_request(tmp_path):
    assert run_rules(tmp_path, {"src/config.ts": CONFIG, "src/routes.ts": "import { Router } from 'express';\nexport const router = Router();\n"}, "E305") == []


def test_a_check_that_reuses_the_route_walk_still_records_the_routes_it_rests_on(tmp_path):
    """The walk over every route is built once per version of the workspace;
    a later check that reuses it reads the route files all the same, so the
    cache and the server re-check it when a route changes."""
    from helpers import make_workspace
    from perfaudit.server.engine import Engine

    ws = make_workspace(tmp_path, {"src/auth.service.ts": SERVICE, "src/routes.ts": ROUTES})
    engine = Engine(ws)
    service = str(tmp_path / "src/auth.service.ts")
    first = engine.check_file(service)
    read_first = ws.index.read_by(service)
    second = engine.check_file(service)  # the walk is reused now
    assert [f.code for f in second if f.code == "E305"] == [f.code for f in first if f.code == "E305"] == ["E305"]
    assert str(tmp_path / "src/routes.ts") in ws.index.read_by(service)
    assert ws.index.read_by(service) == read_first


SPA = """
    import express from 'express';
    import { existsSync, readFileSync } from 'fs';
    import path from 'path';

    export const app = express();

    // At start-up: find the built frontend once, then serve it.
    function serveFrontend(app: express.Express) {
      const candidates = [path.resolve(process.cwd(), '../web/dist'), path.resolve(process.cwd(), 'web/dist')];
      const distPath = candidates.find((candidate) => existsSync(path.join(candidate, 'index.html')));
      if (!distPath) return;
      const timer = setTimeout(() => readFileSync(path.join(distPath, 'index.html')), 0);
      app.use(express.static(distPath, { index: false, maxAge: '1h' }));
      app.get('*', (req, res, next) => {
        if (req.path.startsWith('/api')) return next();
        clearTimeout(timer);
        res.sendFile(path.join(distPath, 'index.html'));
      });
    }

    serveFrontend(app);
"""


def test_what_an_array_method_or_a_timer_gives_back_is_not_the_callback(tmp_path):
    """`distPath` holds the element `find` returns and `timer` a timer's id,
    not the callbacks: the handler that uses them runs neither."""
    assert run_rules(tmp_path, {"src/app.ts": SPA}, "E305") == []
    wrapped = SPA.replace("app.get('*', (req, res, next) => {", "app.get('*', (req, res, next) => {\n        existsSync(distPath);")
    assert [c for _, _, c in lines_of(tmp_path, run_rules(tmp_path, {"src/app.ts": wrapped}, "E305"))] == ["E305"]
