"""NestJS apps, by syntax: `NestFactory.create(AppModule)` (also with a type
argument) is an app, and what times its requests besides `app.use(...)`:
interceptors that read a clock around `next.handle()`, registered with
`app.useGlobalInterceptors(new X())` or as `{ provide: APP_INTERCEPTOR,
useClass: X }`; middleware applied with `consumer.apply(X).forRoutes(...)`;
modules such as nestjs-pino's `LoggerModule.forRoot()`. `facts.py` reads
these into the express facts; E301/E302 judge them."""

from __future__ import annotations

import re

from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.analysis.syntax import call_function, member_path, string_value

NEST_CORE = "@nestjs/core"
# App methods that register something that runs on every request.
APP_HOOKS = {"useGlobalInterceptors", "useGlobalFilters", "useGlobalGuards", "useGlobalPipes"}
_CLOCK = re.compile(rb"Date\.now\(|performance\.now\(|hrtime")


def factory_names(root) -> set[str]:
    """Local names of `NestFactory` imported from @nestjs/core."""
    out = set()
    for stmt in root.named_children:
        if stmt.type != "import_statement" or string_value(stmt.child_by_field_name("source")) != NEST_CORE:
            continue
        for clause in stmt.named_children:
            for part in clause.named_children if clause.type == "import_clause" else ():
                for spec in part.named_children if part.type == "named_imports" else ():
                    name, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
                    if name is not None and node_text(name) == "NestFactory":
                        out.add(node_text(alias or name))
    return out


def is_app_call(path: tuple[str, ...], names: set[str]) -> bool:
    return len(path) == 2 and path[0] in names and path[1] == "create"


def globals_of(call, path: tuple[str, ...], handler_ref) -> list:
    """What a call registers for every request of every Nest app:
    `consumer.apply(A, B)` middleware, `X.forRoot(...)` modules."""
    if path[-1:] == ("apply",) and len(path) == 2 and "consumer" in path[0].lower():
        args = call.child_by_field_name("arguments")
        return [handler_ref(a) for a in (args.named_children if args is not None else ())]
    if path[-1:] in (("forRoot",), ("forRootAsync",)) and len(path) == 2:
        return [handler_ref(call)]
    return []


def provider_globals(obj, handler_ref) -> list:
    """`{ provide: APP_INTERCEPTOR, useClass: TimingInterceptor }`."""
    provide = use_class = None
    for pair in obj.named_children:
        if pair.type != "pair":
            continue
        key = node_text(pair.child_by_field_name("key"))
        if key == "provide":
            provide = member_path(pair.child_by_field_name("value"))
        elif key == "useClass":
            use_class = pair.child_by_field_name("value")
    if provide and provide[-1] == "APP_INTERCEPTOR" and use_class is not None:
        return [handler_ref(use_class)]
    return []


def interceptor_timing(method_node) -> int | None:
    """An `intercept(context, next)` method that reads a clock and hands on to
    `next.handle()`: it times the request. The offset of `handle()`, else None."""
    name = method_node.child_by_field_name("name")
    if name is None or node_text(name) != "intercept" or not _CLOCK.search(method_node.text or b""):
        return None
    stack = [method_node]
    while stack:
        node = stack.pop()
        if node.type == "call_expression" and member_path(call_function(node))[-1:] == ("handle",):
            return node.start_byte
        stack.extend(node.named_children)
    return None


