"""## What it does
Finds an Express app (`express()`) that never gets a compression middleware
(`compression()` or an equivalent such as `shrink-ray`), looking through the
helpers the app is handed to (`setupMiddleware(app)` in another file). When
the app goes somewhere the analyzer cannot see, the rule stays silent.
A NestJS app (`NestFactory.create(AppModule)`) is judged the same way, by its
`app.use(...)` calls; a Fastify app (`fastify()`) by the plugins it
registers (`@fastify/compress`), with no fix.

## Why is this bad?
JSON and HTML compress five to ten times. Without compression every response
travels at full size: slower pages on mobile networks, more egress, longer
time to first byte for large lists.

## Example
```ts
import express from 'express';
import { router } from './routes';

const app = express();
app.use(express.json());
app.use('/api', router);
app.listen(3000);
```

## Use instead
```ts
import express from 'express';
import compression from 'compression';
import { router } from './routes';

const app = express();
app.use(compression());
app.use(express.json());
app.use('/api', router);
app.listen(3000);
```

## Fix safety
The fix adds `import compression from 'compression'` and
`app.use(compression())` right after the app is created, before any route.
It is safe: responses are the same bytes once decoded, and clients that do
not send `Accept-Encoding` get them uncompressed. The message says to run
`npm install compression @types/compression` when package.json lacks them.
"""

from __future__ import annotations

from perfaudit.server.findings import Applicability, Edit, Fix
from perfaudit.server.express.routes import route_model
from perfaudit.server.express.facts import express_facts
from perfaudit.server.analysis.layout import line_indent
from perfaudit.server.express.route_edits import (
    COMPRESSION_MODULES, app_identity, app_label, dependencies, import_insertion, import_line, node_at,
    package_json_for, package_json_path, ref_modules, statement_of,
)
from perfaudit.server.rule import FixAvailability, Rule

RULE = Rule(
    code="E301",
    name="express-no-compression",
    summary="An Express app with no compression middleware.",
    fix=FixAvailability.ALWAYS,
    local=True,  # see Rule.local; tests/test_local_rules.py
)


def check(ctx):
    ex = express_facts(ctx.file)
    apps = [c for c in ex.containers if c.kind == "app" and not c.unreferenced]
    if not apps:
        return
    model = route_model(ctx.workspace)
    for app in apps:
        uses, escaped = model.app_setup(app_identity(ctx.file.path, app))
        if escaped:
            continue
        if any(ref_modules(model, path, arg) & COMPRESSION_MODULES for path, use in uses for arg in use.args):
            continue
        message = f"{app_label(app)} app without compression: every JSON and HTML response goes out uncompressed"
        if app.framework == "fastify":
            # Fastify compresses through a plugin; the Express middleware fix does not apply.
            yield ctx.report(app.start, app.end, message + "; register `@fastify/compress`")
            continue
        missing = _missing_packages(ctx)
        if missing:
            message += f"; run `npm install {' '.join(missing)}`"
        yield ctx.report(app.start, app.end, message, fixes=_fix(ctx, app))


def _missing_packages(ctx) -> list[str]:
    deps = dependencies(package_json_for(ctx.workspace, ctx.file.path))
    wanted = ["compression"] + (["@types/compression"] if ctx.file.language == "typescript" else [])
    if "compression" in deps and (len(wanted) == 1 or "@types/compression" in deps):
        return []
    return wanted


# What the fix adds to package.json when it lacks them.
PACKAGES = {"dependencies": {"compression": "^1.8.0"}, "devDependencies": {"@types/compression": "^1.8.1"}}


def _package_json_edits(ctx) -> list:
    """compression (and its types, for TypeScript) in the nearest package.json."""
    from perfaudit.server.node.package_json import add_dependencies

    pj = package_json_path(ctx.workspace, ctx.file.path)
    text = ctx.workspace.text_of(pj) if pj else None
    if text is None:
        return []
    wanted = {"dependencies": PACKAGES["dependencies"]}
    if ctx.file.language == "typescript":
        wanted["devDependencies"] = PACKAGES["devDependencies"]
    return add_dependencies(pj, text, wanted)


def _fix(ctx, app):
    source = ctx.file
    call = node_at(source, app.start, app.end, ("call_expression",))
    stmt = statement_of(call)
    if stmt is None:
        return ()
    local = "compression"
    imp = source.facts.import_of(local)
    edits = []
    if imp is None or imp.module != "compression":
        if imp is not None or source.facts.binding(local) is not None:
            return ()  # the name is taken by something else
        at, before, after = import_insertion(source)
        edits.append(Edit(source.path, at, at, before + import_line(source, local, "compression") + after))
    indent = line_indent(source.data, stmt.start_byte)
    edits.append(Edit(source.path, stmt.end_byte, stmt.end_byte, f"\n{indent}{app.name}.use({local}());"))
    added = _package_json_edits(ctx) if _missing_packages(ctx) else []
    then = ("npm install",) if added else ()
    return (Fix("Enable compression", Applicability.SAFE, tuple(edits + added), then),)
