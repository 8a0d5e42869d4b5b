"""Routes: the workspace's Express apps, routers, mounts and endpoints, and
what each costs.

`routes(workspace)` joins the per-file express facts (`facts.py`):
it follows imports to find which router a `use` mounts, walks from each app
down its mounts to give every route its full path, resolves each handler
through the index to the function that runs it, and summarises the handler:
queries reached in order, the round trips awaited one after another, cache
reads, pagination, blocking calls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterable
from perfaudit.server.analysis.checkpoint import checkpoint
from perfaudit.server.analysis.effects import Effect, qualifier
from perfaudit.server.analysis.facts import CallFact, FunctionFact
from perfaudit.server.analysis.index import register_classifier
from perfaudit.server.analysis.roles import FileRole, role_of
from perfaudit.server.analysis.workspace import RebuildDeferred, register_shared_model
from perfaudit.server.redis import READ_COMMANDS, command_name
from perfaudit.server.express.facts import (
    APP_SINKS,
    CACHE_HELPER,
    DEFAULT_EXPORT,
    Container,
    HTTP_METHODS,
    HandlerRef,
    PARALLEL_CALLS,
    Registration,
    Use,
    express_facts,
)

# ------------------------------------------------------------------ cache helpers


def _cache_helper_classifier(index, path: str, fn: FunctionFact | None, call: CallFact):
    """A call into a workspace cache-aside helper (`cache.getOrSet(key, fetcher)`)
    is a cache read: it answers from the cache before running the fetcher."""
    if not CACHE_HELPER.match(call.method or "") or not (call.callbacks or any(call.arg_names)):
        return ()
    resolved = index.resolve_call(path, fn, call)
    if resolved is None:
        return ()
    helper_path, helper = resolved[:2]
    if not any(index.calls_param(helper_path, helper, i, 0) for i in range(len(helper.params))):
        return ()
    return (Effect("cache", "read", helper.name, path, call.start, call.end),)


register_classifier(_cache_helper_classifier)


def is_cache_read(effect: Effect) -> bool:
    if effect.kind == "cache":
        return not effect.is_write and effect.op not in ("write", "set", "del", "invalidate")
    if effect.kind == "redis":
        return (command_name(effect.op) or effect.op.lower()) in READ_COMMANDS
    return False


# ------------------------------------------------------------------ the route model


@dataclass
class Route:
    method: str  # "GET", "POST"... "ALL"
    path: str  # full path; `*` marks a part the analyzer could not read
    file: str
    start: int  # the registration (`router.get(...)` call or `@Get()` decorator)
    end: int
    head_end: int
    handler: tuple[str, FunctionFact] | None
    handler_label: str
    middleware: tuple[str, ...] = ()
    middleware_fns: tuple[tuple[str, FunctionFact], ...] = ()
    mounted: bool = True  # reached from an app (or a Nest controller)
    framework: str = "express"
    ws: object = field(default=None, repr=False, compare=False)
    receiver: tuple[str, str] | None = None  # the class `this` is in the handler (a subclass)

    @property
    def title(self) -> str:
        return f"{self.method} {self.path}"

    # -- cost: computed from the current facts on each use (the index memoises
    # what functions reach), so the model itself only needs rebuilding when
    # the route structure changes, not on every keystroke --
    def _fresh(self, ref):
        """(path, FunctionFact) as the file is now (offsets move as the user types)."""
        path, fn = ref
        source = self.ws.files.get(path)
        current = source.facts.function(fn.id) if source is not None else None
        return (path, current or fn)

    @property
    def current_handler(self):
        return self._fresh(self.handler) if self.handler is not None else None

    @property
    def effects(self) -> tuple[Effect, ...]:
        if self.handler is None:
            return ()
        return self.ws.index.effects_of_function(self.handler[0], self.handler[1].id, self.receiver)

    @property
    def queries(self) -> tuple[Effect, ...]:
        seen, out = set(), []
        for e in self.effects:
            if e.kind == "query" and (e.path, e.start) not in seen:
                seen.add((e.path, e.start))
                out.append(e)
        return tuple(out)

    @property
    def steps(self) -> tuple[tuple[Effect, ...], ...]:
        """Round trips to the database, in order: each a group of queries that
        run together (`Promise.all`); the groups are awaited one after another."""
        if self.handler is None:
            return ()
        return _Steps(self.ws.index).of(*self.current_handler, receiver=self.receiver)

    @property
    def sequential(self) -> int:
        return len(self.steps)

    @property
    def cached(self) -> bool:
        return any(is_cache_read(e) for e in self.effects)

    @property
    def blocking(self) -> tuple[Effect, ...]:
        out = [e for e in self.effects if e.kind == "blocking"]
        for mpath, mfn in (self._fresh(m) for m in self.middleware_fns):
            out.extend(e for e in self.ws.index.effects_of_function(mpath, mfn.id) if e.kind == "blocking")
        return tuple(dict.fromkeys(out))

    @property
    def pagination(self) -> str:
        """"yes" when the handler reads a pagination parameter, "maybe" when it
        hands `req.query` on whole, "no" otherwise."""
        fns = ([self.current_handler] if self.handler else []) + [self._fresh(m) for m in self.middleware_fns]
        verdict = "no"
        for path, fn in fns:
            ex = express_facts(self.ws.files.get(path))
            if any(fn.start <= o < fn.end for o in ex.pagination_offsets):
                return "yes"
            if any(fn.start <= o < fn.end for o in ex.query_passed_offsets):
                verdict = "maybe"
        if verdict == "no" and self.handler is not None:
            # A helper named for it (`parsePagination(req)`).
            hpath, hfn = self.current_handler
            facts = self.ws.files[hpath].facts
            for fn in facts.functions:
                if hfn.start <= fn.start and fn.end <= hfn.end:
                    if any("aginat" in c.method for c in fn.calls):
                        return "maybe"
        return verdict

    @property
    def lists(self) -> bool:
        """A GET route that reads a list of rows (`findMany`)."""
        return self.method == "GET" and any(e.op == "findMany" for e in self.queries)

    @property
    def summary(self) -> str:
        """The lens text: "4 queries (3 sequential) - not cached - paginated"."""
        n = len(self.queries)
        parts = [f"{n} quer{'y' if n == 1 else 'ies'}" + (f" ({self.sequential} sequential)" if self.sequential > 1 else "")]
        parts.append("cached" if self.cached else "not cached")
        if self.lists and self.pagination == "yes":
            parts.append("paginated")
        if self.blocking:
            parts.append(f"{len(self.blocking)} blocking call{'s' if len(self.blocking) != 1 else ''}")
        return " - ".join(parts)

    def to_json(self) -> dict:
        ws = self.ws
        line = ws.line_index(self.file).line_of(self.start) + 1
        handler = None
        if self.handler is not None:
            hp, hf = self.current_handler
            handler = {"name": self.handler_label, "file": ws.relpath(hp), "line": ws.line_index(hp).line_of(hf.start) + 1}
        return {
            "method": self.method,
            "path": self.path,
            "file": ws.relpath(self.file),
            "line": line,
            "handler": handler,
            "middleware": list(self.middleware),
            "queries": len(self.queries),
            "sequential": self.sequential,
            "query_list": [_effect_label(e, ws) for e in self.queries],
            # The schemas the queries run against, when the workspace has several.
            "schemas": sorted({q for q in (qualifier(ws, e) for e in self.queries) if q}),
            "cached": self.cached,
            # Only a GET route that reads a list can be paginated; elsewhere the question is moot.
            "paginated": self.pagination == "yes" if self.lists else None,
            "blocking": [e.op for e in self.blocking],
            "mounted": self.mounted,
        }


class TransactionStep(tuple):
    """The queries of one interactive transaction: one step of a route."""


def step_label(step, ws=None) -> str:
    """`user.findMany` for one query, `a + b` for queries run together,
    `$transaction(a, b)` for an interactive transaction's queries."""
    labels = [_effect_label(e, ws) for e in step]
    if isinstance(step, TransactionStep):
        return f"$transaction({', '.join(labels)})"
    return " + ".join(labels)


def _effect_label(e: Effect, ws=None) -> str:
    """`user.findMany`; with `ws`, what the effect's wing adds to tell it
    apart (`user.findMany (@acme/analytics-db)` with several schemas)."""
    label = e.op
    if e.kind == "query":
        model = e.target[:1].lower() + e.target[1:] if e.target else ""
        label = f"{model}.{e.op}" if model else e.op
    extra = qualifier(ws, e) if ws is not None else ""
    return f"{label} ({extra})" if extra else label


class _Steps:
    """Database round trips of a function, in the order they are awaited."""

    def __init__(self, index):
        self.index = index
        self.memo: dict = {}

    def of(self, path: str, fn: FunctionFact, stack: tuple = (), receiver=None) -> tuple[tuple[Effect, ...], ...]:
        """`receiver`: the class `this` stands for in `fn` (a subclass, for a
        method inherited from a generic base service)."""
        key = (path, fn.id, receiver)
        if key in self.memo:
            return self.memo[key]
        if key in stack or len(stack) > 12:
            return ()
        stack = stack + (key,)
        facts = self.index.facts(path)
        parallel = [c for c in fn.calls if c.callee in PARALLEL_CALLS or c.method == "$transaction" and not c.callbacks]
        inner_of = {}
        for call in fn.calls:
            inner = self._call_steps(path, fn, call, facts, stack, receiver)
            if inner:
                inner_of[call.start, call.end] = inner
        calls = [c for c in fn.calls if (c.start, c.end) in inner_of]
        out: list[tuple[Effect, ...]] = []
        for subset in _paths(self.index.ws.files.get(path), fn, calls) if len(calls) > 1 else [calls]:
            merged = _merge(subset, parallel, inner_of)
            if len(merged) > len(out):
                out = merged
        result = tuple(out)
        self.memo[key] = result
        return result

    def _call_steps(self, path, fn, call, facts, stack, receiver=None):
        out = self._call_steps_of(path, fn, call, facts, stack, receiver)
        if out and call.method == "$transaction" and (call.callbacks or any(call.arg_names)):
            # `$transaction(async (tx) => ...)`: its queries run one by one on
            # the transaction's connection, which no Promise.all overlaps; the
            # handler can only move work out of it, so it is one step.
            return [TransactionStep(e for step in out for e in step)]
        return out

    def _call_steps_of(self, path, fn, call, facts, stack, receiver=None):
        index = self.index
        out: list[tuple[Effect, ...]] = []
        for e in index.direct_effects(path, fn, call):
            if e.kind == "query":
                out.append((e,))
        resolved = index.resolve_call(path, fn, call, receiver)
        if resolved is not None:
            out.extend(self.of(resolved[0], resolved[1], stack, resolved[2]))
        for arg_index, cb_id in call.callbacks:
            if index.invokes_callback(call, resolved, arg_index):
                cb = facts.function(cb_id) if facts is not None else None
                if cb is not None:
                    out.extend(self.of(path, cb, stack, receiver))
        for arg_index, name in enumerate(call.arg_names):
            if name and index.invokes_callback(call, resolved, arg_index):
                target = index.resolve_path(path, tuple(name.split(".")), fn, 0, receiver)
                found = index.function_and_receiver(target)
                if found is not None:
                    out.extend(self.of(found[0], found[1], stack, found[2]))
        return out


def _merge(calls, parallel, inner_of) -> list[tuple[Effect, ...]]:
    """Round trips of `calls` in order; the calls inside one `Promise.all`
    (or `$transaction([...])`) share their steps."""
    steps: list[tuple[Effect, ...]] = []
    groups: dict[int, list] = {}
    for call in calls:
        outer = next((p for p in parallel if p.start < call.start and call.end <= p.end), None)
        if outer is None and not call.awaited:
            # `const posts = prisma.post.findMany(...)` held, not awaited: a
            # lazy query that a later `$transaction([posts, count])` or
            # `Promise.all` runs together with the others.
            outer = next((p for p in sorted(parallel, key=lambda p: p.start) if p.start > call.end), None)
        inner = inner_of[call.start, call.end]
        if outer is not None:
            group = groups.get(outer.start)
            if group is None:
                group = groups[outer.start] = []
                steps.append(())  # placeholder, merged below
                group.append(len(steps) - 1)
            group.append(inner)
        else:
            steps.extend(inner)
    # Merge each parallel group into its placeholder: step i of the group
    # is the union of step i of its members.
    out: list[tuple[Effect, ...]] = []
    placeholders = {g[0]: g[1:] for g in groups.values()}
    for i, step in enumerate(steps):
        if i in placeholders:
            members = placeholders[i]
            depth = max(len(m) for m in members)
            for d in range(depth):
                out.append(tuple(e for m in members if d < len(m) for e in m[d]))
        else:
            out.append(step)
    return out


def _paths(source, fn: FunctionFact, calls: list) -> list[list]:
    """The calls of `fn` that can run in one call of it. A block that ends in
    `return` or `throw` (`if (!user) { await log(...); throw ... }`) leaves
    the function: its calls and the ones after it are never on one path.
    One list per way out: past every such block, and into each of them."""
    exits = []
    if source is not None:
        facts = source.facts
        for block in source.nodes("statement_block"):
            if block.start_byte <= fn.body_start or block.end_byte > fn.end or block.start_byte < fn.start:
                continue
            stmts = [n for n in block.named_children if n.type != "comment"]
            if not stmts or stmts[-1].type not in ("return_statement", "throw_statement"):
                continue
            owner = facts.function_at(block.start_byte)
            if owner is not None and owner.id == fn.id:
                exits.append((block.start_byte, block.end_byte))
    if not exits:
        return [_one_arm(source, fn, calls)]

    def inside(call, b):
        return b[0] <= call.start and call.end <= b[1]

    paths = [[c for c in calls if not any(inside(c, b) for b in exits)]]
    for b in exits:
        paths.append([c for c in calls if c.start < b[1]
                      and all(d[0] <= b[0] and b[1] <= d[1] for d in exits if inside(c, d))])
    return [_one_arm(source, fn, p) for p in paths]


def _one_arm(source, fn: FunctionFact, calls: list) -> list:
    """`cond ? await a() : await b()` runs one arm: of the calls in the two
    arms of a conditional, keep the arm with more (the longest way through)."""
    if source is None or len(calls) < 2:
        return calls
    tree = source.ensure_tree()
    arms: dict[int, dict[str, list]] = {}
    for call in calls:
        node = tree.root_node.descendant_for_byte_range(call.start, call.end)
        while node is not None and node.start_byte >= fn.start and node.type != "ternary_expression":
            node = node.parent
        if node is None or node.type != "ternary_expression" or node.start_byte < fn.start:
            continue
        for arm in ("consequence", "alternative"):
            branch = node.child_by_field_name(arm)
            if branch is not None and branch.start_byte <= call.start and call.end <= branch.end_byte:
                arms.setdefault(node.id, {}).setdefault(arm, []).append(call)
    dropped = set()
    for by_arm in arms.values():
        if len(by_arm) == 2:
            shorter = min(by_arm.values(), key=len)
            dropped.update((c.start, c.end) for c in shorter)
    return [c for c in calls if (c.start, c.end) not in dropped]


# ------------------------------------------------------------------ joining files

Identity = tuple  # ("binding", file, name, scope) | ("param", file, fn_start, index)


class RouteModel:
    """Apps, routers and routes of one workspace (its state at build time)."""

    def __init__(self, ws):
        self.ws = ws
        self.index = ws.index
        self.edges: dict[Identity, list[tuple[str | None, Identity, Use | None]]] = {}
        self.uses: dict[Identity, list[tuple[str, Use]]] = {}
        self.regs: dict[Identity, list[tuple[str, Registration]]] = {}
        self.escapes: set[Identity] = set()
        self.apps: list[tuple[str, Container, Identity]] = []
        self.routes: list[Route] = []
        self.receivers: dict[tuple[str, str], tuple[str, str] | None] = {}
        # What runs for every request of every NestJS app (APP_INTERCEPTOR, consumer.apply).
        self.nest_globals: list[tuple[str, HandlerRef]] = []
        self.read: set[str] = set()  # the files whose facts it was built from
        self.build_seconds = 0.0
        self._build()

    def _file(self, path: str):
        self.read.add(path)
        return self.ws.files.get(path)

    # -- naming --
    def _container(self, path: str, name: str, scope_hint: int | None) -> tuple[Identity, Container] | None:
        ex = express_facts(self._file(path))
        best = None
        for c in ex.containers:
            if c.name != name:
                continue
            if c.scope is None:
                best = best or c
            elif scope_hint is not None and c.scope[0] <= scope_hint < c.scope[1]:
                if best is None or best.scope is None or c.scope[0] >= best.scope[0]:
                    best = c
        if best is None:
            return None
        return ("binding", path, best.name, best.scope), best

    def identity(self, path: str, name: tuple[str, ...], at: int, depth: int = 0) -> Identity | None:
        """The app or router that `name` denotes at offset `at` of `path`."""
        if depth > 8 or not name:
            return None
        source = self._file(path)
        if source is None:
            return None
        if name[0] == "this":
            found = self._container(path, ".".join(name), None)
            return found[0] if found else None
        if len(name) != 1:
            return None
        local = name[0]
        found = self._container(path, local, at)
        fn = source.facts.function_at(at)
        # A parameter of an enclosing function (`function setup(app: Express)`).
        f = fn
        while f is not None:
            if found is not None and found[1].scope is not None and f.start <= found[1].scope[0]:
                break
            if local in f.params:
                return ("param", path, f.start, f.params.index(local))
            f = source.facts.function(f.parent) if f.parent else None
        if found is not None:
            return found[0]
        # `const app = createApp()` where createApp returns an app.
        ex = express_facts(source)
        for alias, scope, callee, start in ex.aliases:
            if alias == local and (scope is None or scope[0] <= at < scope[1]):
                target = self.index.function(self.index.resolve_path(path, callee, fn))
                if target is not None:
                    made = self._made_by(target[0], target[1])
                    if made is not None:
                        return made
        # Imported from another file.
        imp = source.facts.import_of(local)
        if imp is not None:
            module = self.index.resolve_module(path, imp.module)
            if module is not None:
                return self._exported(module, imp.imported, depth + 1)
        ref = source.facts.binding(local)
        if ref is not None and ref.kind == "require":
            module = self.index.resolve_module(path, ref.name)
            if module is not None:
                return self._exported(module, ref.member or "default", depth + 1)
        return None

    def _exported(self, module: str, name: str, depth: int) -> Identity | None:
        source = self._file(module)
        if source is None or depth > 8:
            return None
        facts = source.facts
        if name == "default" and self._container(module, DEFAULT_EXPORT, None) is not None:
            return ("binding", module, DEFAULT_EXPORT, None)  # `export default Router().use(...)`
        if name == "default" and facts.default_export is not None and facts.default_export.kind == "name":
            return self.identity(module, tuple(facts.default_export.name.split(".")), 0, depth + 1)
        for exported, local in facts.exports:
            if exported == name:
                return self.identity(module, (local,), 0, depth + 1)
        for exported, spec, imported in facts.reexports:
            if exported == name:
                target = self.index.resolve_module(module, spec)
                return self._exported(target, imported, depth + 1) if target else None
        for spec in facts.star_exports:
            target = self.index.resolve_module(module, spec)
            found = self._exported(target, name, depth + 1) if target else None
            if found is not None:
                return found
        return None

    def _made_by(self, path: str, fn: FunctionFact) -> Identity | None:
        """The app or router a factory function creates and returns."""
        ex = express_facts(self._file(path))
        made = [c for c in ex.containers if c.scope == (fn.start, fn.end)]
        returned = [c for c in made if c.returned] or (made if len(made) == 1 else [])
        if len(returned) == 1:
            c = returned[0]
            return ("binding", path, c.name, c.scope)
        return None

    # -- building --
    def _build(self) -> None:
        returned: set[Identity] = set()  # apps a factory returns, escaped unless a caller is seen
        called: set[Identity] = set()
        for path in sorted(self.ws.files):
            checkpoint()  # a whole-workspace build: edits and requests go between files
            source = self.ws.files[path]
            ex = express_facts(source)
            if not ex.feeds_routes:
                continue
            self.read.add(path)
            if is_test_client_file(self.ws, path, source):
                continue  # `request(app).get(url)` in a test calls a route; it declares none
            self.nest_globals.extend((path, ref) for ref in ex.nest_globals)
            for c in ex.containers:
                ident = ("binding", path, c.name, c.scope)
                if c.kind == "app":
                    self.apps.append((path, c, ident))
                if c.returned:
                    returned.add(ident)  # callers seen through aliases clear it below
                if c.name.startswith("this.") and self._member_used_elsewhere(path, c.name[5:]):
                    self.escapes.add(ident)
            for reg in ex.registrations:
                ident = self.identity(path, reg.receiver, reg.start)
                if ident is not None:
                    self.regs.setdefault(ident, []).append((path, reg))
            for use in ex.uses:
                ident = self.identity(path, use.receiver, use.start)
                if ident is None:
                    continue
                self.uses.setdefault(ident, []).append((path, use))
                fn = source.facts.function_at(use.start)
                for arg in use.args:
                    child = self._mounted(path, arg, fn, use.start)
                    if child is not None:
                        self.edges.setdefault(ident, []).append((use.prefix, child, use))
            for p in ex.passes:
                ident = self.identity(path, p.name, p.start)
                if ident is None:
                    continue
                fn = source.facts.function_at(p.start)
                target = self.index.function(self.index.resolve_path(path, p.callee, fn))
                if target is not None:
                    self.edges.setdefault(ident, []).append(("", ("param", target[0], target[1].start, p.index), None))
                elif p.callee[-1] not in APP_SINKS and p.callee[-1] not in HTTP_METHODS and p.callee[-1] != "use":
                    self.escapes.add(ident)
            for alias, scope, callee, start in ex.aliases:
                fn = source.facts.function_at(start)
                target = self.index.function(self.index.resolve_path(path, callee, fn))
                made = self._made_by(target[0], target[1]) if target is not None else None
                if made is not None:
                    called.add(made)
        # A returned app whose caller is seen does not escape for that reason
        # (a pass elsewhere still makes it escape); files come in any order.
        self.escapes |= returned - called
        self._collect_routes()

    def _member_used_elsewhere(self, path: str, member: str) -> bool:
        for other, source in self.ws.files.items():
            for fn in source.facts.functions:
                for call in fn.calls:
                    if len(call.callee) >= 3 and call.callee[-2] == member and call.callee[0] != "this":
                        return True
        return False

    def _mounted(self, path: str, arg: HandlerRef, fn, at: int) -> Identity | None:
        if arg.kind == "path":
            return self.identity(path, arg.path, at)
        if arg.kind == "require":  # `app.use('/x', require('./x.routes'))`
            module = self.index.resolve_module(path, arg.path[0])
            return self._exported(module, "default", 0) if module is not None else None
        if arg.kind == "call":
            target = self.index.function(self.index.resolve_path(path, arg.path, fn)) if arg.path else None
            if target is not None:
                return self._made_by(target[0], target[1])
        return None

    # -- handlers --
    def _function_of(self, path: str, ref: HandlerRef, at: int) -> tuple[str, FunctionFact] | None:
        source = self._file(path)
        if source is None:
            return None
        if ref.kind == "function":
            for fn in source.facts.functions:
                if fn.start == ref.start and fn.end == ref.end:
                    return (path, fn)
            return None
        if ref.kind == "path":
            fn = source.facts.function_at(at)
            found = self.index.function_and_receiver(self.index.resolve_path(path, ref.path, fn))
            if found is not None:
                # An inherited controller method: `this` is the subclass.
                self.receivers[(found[0], found[1].id)] = found[2]
                return found[:2]
            return None
        if ref.kind == "call":
            # `asyncHandler(ctrl.list)`, `catchAsync(async (req, res) => ...)`: the
            # wrapped function runs the request.
            for arg in reversed(ref.args):
                if arg.kind in ("function", "path", "call"):
                    found = self._function_of(path, arg, at)
                    if found is not None:
                        return found
        return None

    def _definition(self, path: str, name: str, depth: int) -> tuple[str, str] | None:
        """(file, local name) where `name` in `path` is defined, through imports and re-exports."""
        source = self._file(path)
        if source is None or depth > 8:
            return None
        imp = source.facts.import_of(name)
        if imp is None:
            return (path, name)
        module = self.index.resolve_module(path, imp.module)
        return self._exported_definition(module, imp.imported, depth + 1) if module else None

    def _exported_definition(self, module: str, name: str, depth: int) -> tuple[str, str] | None:
        source = self._file(module)
        facts = source.facts if source is not None else None
        if facts is None or depth > 8:
            return None
        if name == "default" and facts.default_export is not None and facts.default_export.kind == "name":
            return self._definition(module, facts.default_export.name.split(".")[0], depth + 1)
        for exported, local in facts.exports:
            if exported == name:
                return self._definition(module, local, depth + 1)
        for exported, spec, imported in facts.reexports:
            if exported == name:
                target = self.index.resolve_module(module, spec)
                return self._exported_definition(target, imported, depth + 1) if target else None
        for spec in facts.star_exports:
            target = self.index.resolve_module(module, spec)
            found = self._exported_definition(target, name, depth + 1) if target else None
            if found is not None:
                return found
        return None

    def _flatten(self, refs: Iterable[HandlerRef]) -> list[HandlerRef]:
        out = []
        for r in refs:
            out.extend(self._flatten(r.args) if r.kind == "array" else [r])
        return out

    def _route(self, path: str, reg: Registration, full: str, mounted: bool, chain_mw: list) -> Route:
        refs = self._flatten(reg.handlers)
        handler_ref = refs[-1] if refs else None
        handler = self._function_of(path, handler_ref, reg.start) if handler_ref else None
        mw_fns = []
        for ref in refs[:-1]:
            found = self._function_of(path, ref, reg.start) if ref.kind != "call" or not ref.args else None
            if found is not None:
                mw_fns.append(found)
        label = handler[1].name if handler and "." in handler[1].name else (handler_ref.label if handler_ref else "?")
        return Route(
            method=reg.method.upper(), path=full, file=path, start=reg.start, end=reg.end, head_end=reg.head_end,
            handler=handler, handler_label=label, middleware=tuple(chain_mw + [r.label for r in refs[:-1]]),
            middleware_fns=tuple(mw_fns), mounted=mounted, ws=self.ws,
            receiver=self.receivers.get((handler[0], handler[1].id)) if handler else None,
        )

    def _collect_routes(self) -> None:
        seen_regs: set[tuple[str, int]] = set()
        routes: list[Route] = []

        def walk(ident: Identity, prefix: str, chain: list, visiting: tuple):
            if ident in visiting or len(visiting) > 16:
                return
            visiting = visiting + (ident,)
            for path, reg in self.regs.get(ident, ()):
                checkpoint()
                seen_regs.add((path, reg.start))
                full = join_paths(prefix, reg.path if reg.path is not None else "*")
                routes.append(self._route(path, reg, full, True, chain))
            for sub_prefix, child, use in self.edges.get(ident, ()):
                mw = [a.label for a in use.args if a.kind != "path" or self.identity(use_path_of(use), a.path, use.start) is None] if use else []
                walk(child, join_paths(prefix, sub_prefix if sub_prefix is not None else "*"), chain + mw[:-1] if use else chain, visiting)

        def use_path_of(use):
            return self._use_paths.get(id(use), "")

        self._use_paths = {id(u): p for uses in self.uses.values() for p, u in uses}
        for path, container, ident in self.apps:
            walk(ident, "", [], ())
        # Routers nobody mounts (or mounted where the analyzer cannot see):
        # still routes, with the path they declare.
        for ident, regs in self.regs.items():
            for path, reg in regs:
                if (path, reg.start) not in seen_regs:
                    seen_regs.add((path, reg.start))
                    routes.append(self._route(path, reg, join_paths("", reg.path if reg.path is not None else "*"), False, []))
        routes.extend(self._nest_routes())
        unique = {}
        for r in routes:
            unique.setdefault((r.method, r.path, r.file, r.start), r)
        self.routes = sorted(unique.values(), key=lambda r: (r.path, r.method, r.file, r.start))

    def _nest_routes(self) -> list[Route]:
        prefix = ""
        for source in self.ws.files.values():
            gp = express_facts(source).global_prefix
            if gp:
                prefix = gp
        out = []
        for path, source in sorted(self.ws.files.items()):
            for ctrl in express_facts(source).controllers:
                cls = source.facts.klass(ctrl.class_name)
                for r in ctrl.routes:
                    fid = cls.method(r.name) if cls is not None else None
                    fn = source.facts.function(fid) if fid else None
                    full = join_paths(join_paths(prefix, ctrl.prefix), r.path)
                    out.append(Route(
                        method=r.method.upper(), path=full, file=path, start=r.start, end=r.end, head_end=r.end,
                        handler=(path, fn) if fn is not None else None,
                        handler_label=fn.name if fn is not None else r.name, framework="nest", ws=self.ws,
                    ))
        return out

    # -- app configuration (E301, E302) --
    def app_setup(self, ident: Identity) -> tuple[list[tuple[str, Use]], bool]:
        """Every `use` applied to an app, through the helpers it is handed to,
        and whether the app escapes where the analyzer cannot see."""
        out: list[tuple[str, Use]] = []
        escaped = False
        stack, seen = [ident], set()
        while stack:
            cur = stack.pop()
            if cur in seen:
                continue
            seen.add(cur)
            escaped = escaped or cur in self.escapes
            out.extend(self.uses.get(cur, ()))
            for prefix, child, use in self.edges.get(cur, ()):
                if use is None and child[0] == "param":
                    stack.append(child)
        return out, escaped


# Modules whose HTTP calls are a test client's requests, not route declarations.
TEST_CLIENTS = ("supertest", "@playwright/test", "light-my-request", "superagent", "chai-http", "pactum")


def is_test_client_file(ws, path: str, source) -> bool:
    """A test file, or one that imports a test HTTP client: its `.get(url)`
    calls are requests to routes, never routes."""
    if role_of(ws, path) is FileRole.TEST:
        return True
    return any(imp.module in TEST_CLIENTS for imp in source.facts.imports)


def join_paths(prefix: str, path: str) -> str:
    parts = [p for p in (prefix.strip("/"), path.strip("/")) if p]
    return "/" + "/".join(parts)


# An edit's check rebuilds the route model only when that is quick; a slower
# one (hundreds of ms on 4,000 files) waits for the whole check at the pause.
DEFER_REBUILD_SECONDS = 0.05


def route_model(ws) -> RouteModel:
    """The workspace's route model, rebuilt when the structure (apps,
    routers, imports, exports, classes) of a file it was built from changed,
    or a file now declares routes. A service typed in the editor goes
    through many structures (an unclosed `{` ends its class early): the
    model of thousands of files is not rebuilt for each."""
    cached = getattr(ws, "_perfaudit_routes", None)
    if cached is not None and cached[0] != ws.structure_generation and _still_valid(ws, cached[0], cached[2]):
        cached = ws._perfaudit_routes = (ws.structure_generation, cached[1], cached[2])
    if cached is not None and cached[0] == ws.structure_generation:
        return cached[1]
    if cached is not None and ws.defer_rebuilds and cached[1].build_seconds > DEFER_REBUILD_SECONDS:
        raise RebuildDeferred("route model")
    started = time.perf_counter()
    with ws.index.reads_of() as read:
        model = RouteModel(ws)
    model.build_seconds = time.perf_counter() - started
    ws._perfaudit_routes = (ws.structure_generation, model, frozenset(read | model.read))
    return model


def _still_valid(ws, generation: int, read: frozenset) -> bool:
    changed = ws.structure_changed_since(generation)
    if changed is None:
        return False
    for path in changed:
        source = ws.files.get(path)
        if path in read or (source is not None and express_facts(source).feeds_routes):
            return False
    return True


register_shared_model(route_model)


def routes(ws) -> list[Route]:
    return route_model(ws).routes


def query_reached_by_route(ws, path: str, start: int) -> bool:
    """Whether some route's handler reaches the query call at `start` of `path`."""
    key = (ws.generation, ws.structure_generation)
    held = getattr(ws, "_perfaudit_route_queries", None)
    if held is None or held[0] != key:
        sites = set()
        for route in routes(ws):
            checkpoint()  # each route's effects may be derived here the first time
            sites.update((e.path, e.start) for e in route.queries)
        held = ws._perfaudit_route_queries = (key, sites)
    return (path, start) in held[1]


def blocking_by_file(ws) -> dict[str, list[tuple[Effect, Route]]]:
    """path -> (blocking call, route whose request runs it), over every route.

    Built once per version of the workspace: asking each route again for
    every file that holds a blocking call cost a union of each route's
    dependencies per file. What building it read is handed on to each
    check that asks, as if that check had walked the routes itself."""
    key = (ws.generation, ws.structure_generation)
    held = getattr(ws, "_perfaudit_route_blocking", None)
    if held is None or held[0] != key:
        with ws.index.reads_of() as read:
            by_file: dict[str, list[tuple[Effect, Route]]] = {}
            for route in routes(ws):
                checkpoint()
                for effect in route.blocking:
                    by_file.setdefault(effect.path, []).append((effect, route))
        held = ws._perfaudit_route_blocking = (key, by_file, frozenset(read))
    else:
        ws.index.note_reads(held[2])
    return held[1]


def _reach_of_every_route(ws) -> None:
    """What each route reaches (its effects, blocking calls, queries; the
    index memoises them): the route rules of every file read them."""
    blocking_by_file(ws)
    query_reached_by_route(ws, "", 0)


register_shared_model(_reach_of_every_route)


def route_sends_result_of(ws, path: str, start: int, function_name: str) -> bool:
    """Whether a route reaching the query at (path, start) sends, as it is,
    what a call of `function_name` returns: `res.json(await svc.findById(id))`,
    or `const book = await svc.findById(id); res.json(book)`."""
    import re

    name = re.escape(function_name.rsplit(".", 1)[-1])
    direct = re.compile(rf"\.(?:json|send)\(\s*(?:await\s+)?[\w.]*\b{name}\(")
    held = re.compile(rf"\b(\w+)\s*=\s*await\s+[\w.]*\b{name}\(")
    for route in routes(ws):
        if not any(e.path == path and e.start == start for e in route.queries):
            continue
        handler = route.current_handler
        source = ws.files.get(handler[0]) if handler is not None else None
        if source is None:
            continue
        text = source.data[handler[1].start:handler[1].end].decode("utf-8", "replace")
        if direct.search(text):
            return True
        for m in held.finditer(text):
            if re.search(rf"\.(?:json|send)\(\s*{re.escape(m.group(1))}\s*\)", text):
                return True
    return False


def routes_in(ws, path: str) -> list[Route]:
    from perfaudit.server.analysis.workspace import norm

    source = ws.files.get(norm(path))
    ex = express_facts(source)
    if source is not None and not (ex.registrations or ex.controllers):
        return []  # registers no route: no need to build the model
    model = route_model(ws)
    if getattr(model, "_by_file", None) is None:
        by_file: dict[str, list[Route]] = {}
        for r in model.routes:
            by_file.setdefault(r.file, []).append(r)
        model._by_file = by_file
    return model._by_file.get(norm(path), [])


# ------------------------------------------------------------------ editor features


def route_lenses(ws, path: str) -> list[tuple[int, int, str, tuple[str, int] | None]]:
    """(start, end, title, (handler file, handler start byte)) per route registered in `path`."""
    out = []
    for r in routes_in(ws, path):
        target = (r.handler[0], r.handler[1].start) if r.handler else None
        out.append((r.start, r.head_end, r.summary, target))
    return out


@dataclass(frozen=True, slots=True)
class RouteSymbol:
    name: str  # "GET /api/users/:id"
    detail: str  # handler name
    path: str
    start: int
    end: int
    selection_end: int


def route_symbols(ws, path: str | None = None) -> list[RouteSymbol]:
    """Symbols for routes registered in `path` (all routes when None)."""
    chosen = routes(ws) if path is None else routes_in(ws, path)
    return [RouteSymbol(r.title, r.handler_label, r.file, r.start, r.end, r.head_end) for r in chosen]


