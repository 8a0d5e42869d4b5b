"""Fastify apps, by syntax: `fastify()` / `Fastify({...})` is an app. Its
built-in logger (`logger: true` or options) logs every response with its
time; an `onResponse` hook is where apps log or measure responses;
`@fastify/compress` registered with `app.register(...)` compresses."""

from __future__ import annotations

from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.analysis.syntax import string_value, unwrap

MODULE = "fastify"


def factory_names(root) -> set[str]:
    """Local names of the fastify factory (`import Fastify from 'fastify'`,
    `import { fastify } from 'fastify'`, `const fastify = require('fastify')`)."""
    out = set()
    for stmt in root.named_children:
        if stmt.type == "import_statement" and string_value(stmt.child_by_field_name("source")) == MODULE:
            for clause in stmt.named_children:
                for part in clause.named_children if clause.type == "import_clause" else ():
                    if part.type == "identifier":
                        out.add(node_text(part))
                    for spec in part.named_children if part.type == "named_imports" else ():
                        name, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
                        if name is not None and node_text(name) in ("fastify", "default"):
                            out.add(node_text(alias or name))
        elif stmt.type in ("lexical_declaration", "variable_declaration"):
            for decl in stmt.named_children:
                value = unwrap(decl.child_by_field_name("value")) if decl.type == "variable_declarator" else None
                name = decl.child_by_field_name("name") if value is not None else None
                if value is not None and value.type == "call_expression" and name is not None and name.type == "identifier":
                    fn = value.child_by_field_name("function")
                    args = value.child_by_field_name("arguments")
                    first = args.named_children[0] if args is not None and args.named_children else None
                    if fn is not None and node_text(fn) == "require" and string_value(first) == MODULE:
                        out.add(node_text(name))
    return out


def logs_responses(call) -> bool:
    """`fastify({ logger: true })`: the built-in logger reports each response's time."""
    args = call.child_by_field_name("arguments")
    first = unwrap(args.named_children[0]) if args is not None and args.named_children else None
    if first is None or first.type != "object":
        return False
    for pair in first.named_children:
        if pair.type == "pair" and node_text(pair.child_by_field_name("key")) in ("logger", "loggerInstance"):
            value = unwrap(pair.child_by_field_name("value"))
            return value is not None and value.type not in ("false", "null", "undefined")
        if pair.type == "shorthand_property_identifier" and node_text(pair) in ("logger", "loggerInstance"):
            return True
    return False


def is_response_hook(args) -> bool:
    """`app.addHook('onResponse', ...)`: runs when each response is sent, where
    apps log or measure it (`reply.elapsedTime`); counted as request timing."""
    return len(args) >= 2 and string_value(args[0]) == "onResponse"
