"""## What it does
Finds an Express app (`express()`) where nothing measures how long requests
take: no `morgan`, `pino-http`, `response-time`, `express-winston`, and no
middleware of its own that starts a timer and listens for the response's
`finish`. A NestJS app (`NestFactory.create`) counts the same middleware,
and also an interceptor that reads a clock around `next.handle()`
(`app.useGlobalInterceptors(...)` or an `APP_INTERCEPTOR` provider),
middleware applied with `consumer.apply(...)`, and `nestjs-pino`. A Fastify
app counts its built-in logger (`logger: true`) and `onResponse` hooks. Helpers the app is handed to are looked into; an app that goes
where the analyzer cannot see, an app whose setup files import a request
logger (it may be used through a shim the analyzer does not follow, such as
`(mod as any).default ?? mod`), or a project that loads an APM agent
(`dd-trace`, `newrelic`, OpenTelemetry), is left alone.

## Why is this bad?
Without request durations nobody knows which endpoint is slow until users
complain; every other performance fix is guesswork.

## Example
```ts
import express from 'express';

const app = express();
app.use(express.json());
app.get('/health', (_req, res) => res.json({ ok: true }));
app.listen(3000);
```

## Use instead
```ts
import express from 'express';
import pinoHttp from 'pino-http';

const app = express();
app.use(pinoHttp());
app.use(express.json());
app.get('/health', (_req, res) => res.json({ ok: true }));
app.listen(3000);
```

## Fix safety
The fix adds, right after the app is created, a middleware that logs every
request slower than option `slow-ms` (1000) with the logger the file already
imports, else `console.warn`. It is safe: it only observes requests.
"""

from __future__ import annotations

import re

from perfaudit.server.findings import Applicability, Edit, Fix
from perfaudit.server.express.routes import route_model
from perfaudit.server.express.facts import express_facts
from perfaudit.server.analysis.layout import line_indent
from perfaudit.server.express.route_edits import (
    APM_PACKAGES, TIMING_MODULES, app_identity, app_label, dependencies, node_at, package_json_for, ref_modules, ref_times_requests, statement_of,
)
from perfaudit.server.findings import Severity
from perfaudit.server.rule import FixAvailability, Rule

RULE = Rule(
    code="E302",
    name="express-no-timing-middleware",
    summary="An Express app that does not measure request durations.",
    # Advice: worth knowing, not a defect a performance engineer must fix.
    severity=Severity.INFORMATION,
    fix=FixAvailability.ALWAYS,
    options={"slow-ms": 1000},
    local=True,  # see Rule.local; tests/test_local_rules.py
)
LOGGER_NAME = re.compile(r"^(\w*[lL]ogger|log)$")


def check(ctx):
    ex = express_facts(ctx.file)
    apps = [c for c in ex.containers if c.kind == "app" and not c.unreferenced]
    if not apps:
        return
    if dependencies(package_json_for(ctx.workspace, ctx.file.path)) & APM_PACKAGES:
        return
    model = route_model(ctx.workspace)
    for app in apps:
        uses, escaped = model.app_setup(app_identity(ctx.file.path, app))
        if escaped:
            continue
        if app.timed:
            continue  # fastify's logger reports each response's time
        refs = [(p, a) for p, use in uses for a in use.args]
        if app.framework == "nest":
            refs += model.nest_globals  # interceptors and middleware every Nest app runs
        if any(ref_modules(model, p, a) & TIMING_MODULES or ref_times_requests(model, p, a) for p, a in refs):
            continue
        if _imports_a_request_logger(ctx.index, {ctx.file.path} | {p for p, _ in uses}):
            continue
        if app.framework == "fastify":
            yield ctx.report(app.start, app.end,
                             "Fastify app without request timing: slow endpoints go unnoticed "
                             "(create it with `logger: true`, or add an `onResponse` hook that logs `reply.elapsedTime`)")
            continue
        yield ctx.report(app.start, app.end,
                         f"{app_label(app)} app without request timing: slow endpoints go unnoticed "
                         "(add pino-http, morgan or a slow-request logger)",
                         fixes=_fix(ctx, app))


def _imports_a_request_logger(index, paths) -> bool:
    """A file that sets the app up imports a request logger: it is used
    through something the analyzer does not follow (`const pinoHttp =
    (mod as any).default ?? mod`), so the app is taken as timed."""
    for path in paths:
        facts = index.facts(path)
        if facts is None:
            continue
        if any(imp.module in TIMING_MODULES for imp in facts.imports):
            return True
        if any(ref.kind == "require" and ref.name in TIMING_MODULES for _, ref in facts.bindings):
            return True
    return False


def _logger(source) -> str:
    for imp in source.facts.imports:
        if LOGGER_NAME.match(imp.local) and imp.imported != "*":
            return f"{imp.local}.warn"
    return "console.warn"


def _fix(ctx, app):
    source = ctx.file
    stmt = statement_of(node_at(source, app.start, app.end, ("call_expression",)))
    if stmt is None:
        return ()
    slow_ms = int(ctx.options.get("slow-ms", 1000))
    i = line_indent(source.data, stmt.start_byte)
    log = _logger(source)
    text = (
        f"\n{i}{app.name}.use((req, res, next) => {{"
        f"\n{i}  const startedAt = process.hrtime.bigint();"
        f"\n{i}  res.on('finish', () => {{"
        f"\n{i}    const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;"
        f"\n{i}    if (ms > {slow_ms}) {{"
        f"\n{i}      {log}(`slow request: ${{req.method}} ${{req.originalUrl}} ${{res.statusCode}} ${{Math.round(ms)}}ms`);"
        f"\n{i}    }}"
        f"\n{i}  }});"
        f"\n{i}  next();"
        f"\n{i}}});"
    )
    return (Fix("Add slow-request logging", Applicability.SAFE, (Edit(source.path, stmt.end_byte, stmt.end_byte, text),)),)
