"""Helpers the route rules (E301-E305, R205) share for their checks and fixes:
which package a middleware comes from, package.json dependencies, where to
insert an import, the keys of a query's argument object."""

from __future__ import annotations
import posixpath
import re
from perfaudit.server.analysis.effects import Effect
from perfaudit.server.analysis.syntax import unwrap
from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.express.facts import (
    Container,
    HandlerRef,
    express_facts,
)
from perfaudit.server.express.routes import (
    Identity,
    RouteModel,
)

# ------------------------------------------------------------------ helpers for rules and fixes

COMPRESSION_MODULES = {"compression", "shrink-ray", "shrink-ray-current", "express-static-gzip", "@fastify/compress",
                       "fastify-compress"}
TIMING_MODULES = {
    "morgan", "pino-http", "express-pino-logger", "response-time", "express-winston", "express-status-monitor",
    "express-prom-bundle", "@opentelemetry/instrumentation-express", "express-bunyan-logger", "winston-express",
    "nestjs-pino", "@fastify/request-logger", "fastify-metrics",
}
# Agents that time every request from outside the code (`--require dd-trace/init`).
APM_PACKAGES = {"dd-trace", "newrelic", "elastic-apm-node", "@opentelemetry/auto-instrumentations-node",
                "@opentelemetry/sdk-node", "@appsignal/nodejs", "@google-cloud/trace-agent"}


def app_identity(path: str, container: Container) -> Identity:
    return ("binding", path, container.name, container.scope)


FRAMEWORK_NAMES = {"express": "Express", "nest": "NestJS", "fastify": "Fastify"}


def app_label(container: Container) -> str:
    return FRAMEWORK_NAMES.get(container.framework, "Express")


def ref_modules(model: RouteModel, path: str, ref: HandlerRef, depth: int = 0) -> set[str]:
    """External modules a middleware argument comes from, looking into the
    workspace functions it names (`performance()` that returns `compression()`)."""
    index = model.index
    out: set[str] = set()
    if depth > 4:
        return out
    if ref.kind == "require":
        out.add(ref.path[0].removeprefix("node:"))
    if ref.kind in ("path", "call", "new") and ref.path:
        module = index.imported_module(path, ref.path[0])
        if module:
            out.add(module.removeprefix("node:"))
        made_by = _factory_module(index, path, ref.path)
        if made_by:
            out.add(made_by.removeprefix("node:"))
        target = index.function(index.resolve_path(path, ref.path, None))
        if target is not None:
            tpath, fn = target
            facts = index.facts(tpath)
            for f in facts.functions if facts else ():
                if fn.start <= f.start and f.end <= fn.end:
                    for call in f.calls:
                        if call.callee:
                            m = index.imported_module(tpath, call.callee[0])
                            if m:
                                out.add(m.removeprefix("node:"))
    for arg in ref.args:
        out |= ref_modules(model, path, arg, depth + 1)
    return out


def _factory_module(index, path: str, parts: tuple[str, ...]) -> str | None:
    """The external module whose factory made a middleware held in a binding:
    `const requestLog = morgan('tiny')` used as `requestLog`, or exported and
    used as `logging.requestLog` / `{ requestLog }` from another file."""
    facts = index.facts(path)
    if facts is None or not parts or len(parts) > 2:
        return None
    if len(parts) == 1:
        ref = facts.binding(parts[0])
        if ref is not None and ref.kind == "call" and ref.member is None:
            return index.imported_module(path, ref.name.split(".")[0])
        imp = facts.import_of(parts[0])
        name = imp.imported if imp is not None else None
    else:
        imp = facts.import_of(parts[0])
        # `import logging from './logging'` (an object of named exports) or `import * as logging`.
        name = parts[1] if imp is not None and imp.imported in ("default", "*") else None
    target = index.resolve_module(path, imp.module) if name else None
    tfacts = index.facts(target) if target else None
    if tfacts is None:
        return None
    for exported, local in tfacts.exports:
        if exported == name:
            ref = tfacts.binding(local)
            if ref is not None and ref.kind == "call" and ref.member is None:
                return index.imported_module(target, ref.name.split(".")[0])
    return None


def ref_times_requests(model: RouteModel, path: str, ref: HandlerRef) -> bool:
    """An inline or workspace middleware that starts a timer and listens for
    the response's `finish` (or uses `on-finished`)."""
    ranges: list[tuple[str, int, int]] = []
    if ref.kind == "hook":
        return True  # fastify's `onResponse` hook
    if ref.kind == "function":
        ranges.append((path, ref.start, ref.end))
    elif ref.kind in ("path", "call", "new") and ref.path:
        resolved = model.index.resolve_path(path, ref.path, None)
        target = model.index.function(resolved)
        if target is not None:
            ranges.append((target[0], target[1].start, target[1].end))
        elif resolved is not None and resolved.kind == "class":
            # A Nest interceptor or middleware class: any of its methods.
            cls = model.index.klass(resolved.path, resolved.name)
            if cls is not None:
                ranges.append((resolved.path, cls.start, cls.end))
    for p, start, end in ranges:
        ex = express_facts(model.ws.files.get(p))
        if any(start <= o < end for o in ex.timing_offsets):
            return True
    return any(ref_times_requests(model, path, a) for a in ref.args)


def package_json_for(ws, path: str) -> dict | None:
    found = package_json_path(ws, path)
    return ws.package_jsons.get(found) if found else None


def package_json_path(ws, path: str) -> str | None:
    """The nearest package.json above `path`, within the workspace."""
    d = posixpath.dirname(path)
    while True:
        if ws.package_jsons.get(f"{d}/package.json") is not None:
            return f"{d}/package.json"
        if d == ws.root or posixpath.dirname(d) == d:
            return None
        d = posixpath.dirname(d)


def dependencies(pj: dict | None) -> set[str]:
    out: set[str] = set()
    for key in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        value = (pj or {}).get(key)
        if isinstance(value, dict):
            out |= set(value)
    return out


def node_at(source, start: int, end: int, kinds: tuple[str, ...]):
    """The node of one of `kinds` spanning exactly [start, end), or None."""
    tree = source.ensure_tree()
    node = tree.root_node.descendant_for_byte_range(start, end)
    while node is not None and not (node.start_byte == start and node.end_byte == end and node.type in kinds):
        if node.start_byte < start or node.end_byte > end:
            return None
        node = node.parent
    return node


def statement_of(node):
    while node is not None and node.parent is not None and node.parent.type not in ("program", "statement_block", "class_body"):
        node = node.parent
    return node


def import_insertion(source) -> tuple[int, str, str]:
    """(offset, text before, text after) to add an import line: after the last
    import (or `require`), else at the top of the file."""
    root = source.ensure_tree().root_node
    imports = [s for s in root.named_children if s.type == "import_statement"]
    requires = [s for s in root.named_children
                if s.type in ("lexical_declaration", "variable_declaration") and b"require(" in (s.text or b"")]
    last = (imports or requires or [None])[-1]
    if last is not None:
        return last.end_byte, "\n", ""
    return 0, "", "\n"


def uses_esm(source) -> bool:
    root = source.ensure_tree().root_node
    if any(s.type == "import_statement" for s in root.named_children):
        return True
    return source.language == "typescript" and b"require(" not in source.data


def import_line(source, local: str, module: str, named: bool = False) -> str:
    if uses_esm(source):
        return f"import {{ {local} }} from '{module}';" if named else f"import {local} from '{module}';"
    return f"const {{ {local} }} = require('{module}');" if named else f"const {local} = require('{module}');"


def relative_spec(from_path: str, to_path: str, source) -> str:
    stem = posixpath.splitext(to_path)[0]
    if stem.endswith("/index"):
        stem = stem[: -len("/index")]
    spec = posixpath.relpath(stem, posixpath.dirname(from_path))
    if not spec.startswith("."):
        spec = "./" + spec
    if re.search(rb"from ['\"]\.{1,2}/[^'\"]+\.js['\"]", source.data):
        spec += ".js"
    return spec


def query_arg_keys(ws, effect: Effect) -> set[str] | None:
    """Top-level keys of a query's argument object; None when it cannot be
    seen (a variable, a spread): then a rule must assume any key is there."""
    source = ws.files.get(effect.path)
    if source is None:
        return None
    node = node_at(source, effect.start, effect.end, ("call_expression",))
    args = node.child_by_field_name("arguments") if node is not None else None
    if args is None:
        return None
    named = [a for a in args.named_children if a.type != "comment"]
    if not named:
        return set()
    obj = unwrap(named[0])
    if obj is None or obj.type != "object":
        return None
    keys: set[str] = set()
    for prop in obj.named_children:
        if prop.type == "pair":
            key = prop.child_by_field_name("key")
            keys.add(node_text(key).strip("'\"") if key is not None else "")
        elif prop.type == "shorthand_property_identifier":
            keys.add(node_text(prop))
        elif prop.type == "spread_element":
            return None
        elif prop.type == "method_definition":
            continue
    return keys


def query_filters_by_list(ws, effect: Effect) -> bool:
    """`where: { id: { in: ids } }`: the result is bounded by a list the code holds."""
    source = ws.files.get(effect.path)
    node = node_at(source, effect.start, effect.end, ("call_expression",)) if source else None
    return node is not None and re.search(rb"\bin\s*:", node.text or b"") is not None

