"""The workspace index: resolves names across files and summarises functions.

Resolution is by name, without type checking: imports and re-exports
(barrels, `export *`), module specifiers as TypeScript resolves them
(`modules.py`: tsconfig chains, workspace packages), `require`, module
singletons (`export const s = new S()`), `this.` members (field initialisers, constructor assignments, constructor
parameter properties through their type), class inheritance, and callbacks
that the callee invokes.

`effects_of_call` / `effects_of_function` say what a call or function
reaches (queries, Redis commands, HTTP, blocking calls), with the path of
functions it goes through. Summaries are memoised and remember which files
they read, so an edit drops only the summaries that depended on that file.
"""

from __future__ import annotations

import bisect
import posixpath
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable

from perfaudit.server.analysis.effects import Effect
from perfaudit.server.analysis.facts import CallFact, ClassFact, FileFacts, FunctionFact, ValueRef

# Callees that store a callback for later rather than run it now.
REGISTERS_CALLBACK = {
    "on", "once", "addListener", "prependListener", "prependOnceListener", "addEventListener",
    "setInterval", "setTimeout", "setImmediate", "nextTick", "subscribe", "use", "get", "post",
    "put", "patch", "delete", "all", "route", "listen", "catch", "finally", "define", "register",
}
MAX_DEPTH = 12
# The pseudo-file whose "check" is the run of the workspace-scoped rules.
WORKSPACE_RULES = "<workspace rules>"
_UNRESOLVED = object()


@dataclass(frozen=True, slots=True)
class Target:
    """What a name resolves to: kind "function" | "class" | "instance" | "module" |
    "object" (a module-level object literal) | "external"."""

    kind: str
    path: str = ""
    name: str = ""  # function id, class name, or external module/name
    # For a method reached through an instance: the instance's class
    # (path, name), which is what `this` means inside it, also when the
    # method is inherited from a base class.
    receiver: tuple[str, str] | None = None


CallClassifier = Callable[["Index", str, "FunctionFact | None", CallFact], Iterable[Effect]]
_CLASSIFIERS: list[CallClassifier] = []


def register_classifier(classifier: CallClassifier) -> None:
    """Wings (Prisma, Redis, Node, caches) add what a call does by itself."""
    _CLASSIFIERS.append(classifier)


class Index:
    def __init__(self, workspace):
        self.ws = workspace
        # (path, function id, receiver class) -> effects, and the files read.
        self._summaries: dict[tuple, tuple[Effect, ...]] = {}
        self._deps: dict[tuple, set[str]] = {}
        self._module_cache: dict[tuple[str, str], str | None] = {}  # (file, specifier)
        self._shared_modules: dict[tuple, str | None] = {}  # (directory, specifier, tsconfig)
        self._active: list[set[str]] = []
        self._file_deps: dict[str, set[str]] = {}
        self._classes: tuple | None = None
        # Per file: (call start, end) -> (effects, files read).
        self._calls: dict[str, dict[tuple[int, int], tuple[tuple[Effect, ...], set[str]]]] = {}
        # (path, function id, parameter index) -> (calls it?, files read).
        self._param_memo: dict[tuple[str, str, int], tuple[bool, set[str]]] = {}
        self._param_open: dict[tuple[str, str, int], int] = {}  # questions being answered -> stack position
        self._param_lows: list[int] = []  # per open question: the lowest open question its answer assumed
        self._param_provisional: list[tuple[str, str, int]] = []
        # Per file: (its facts, its functions by start, their starts,
        # function id -> the function and those nested in it).
        self._nested: dict[str, tuple] = {}
        # Calls examined while deriving (calls_param, summaries): tests count
        # it to prove that the work grows linearly with the code.
        self.work = 0
        # Off in one-shot checks, where nothing is edited afterwards.
        self.track_dependencies = True

    # ------------------------------------------------------------ invalidation

    def forget_calls(self, path: str) -> None:
        """Drop the per-call memo of a file that will not be asked about
        again (the CLI checks each file once), and the facts' tables of calls."""
        self._calls.pop(path, None)
        source = self.ws.files.get(path)
        if source is not None:
            source.facts.drop_call_lookups()

    def files_changed(self) -> None:
        """A file was added or removed: specifiers and names that did not
        resolve before may now (and memoised results never recorded a
        dependency on a file that did not exist), so forget them all."""
        self.invalidate_all()

    def invalidate(self, path: str) -> None:
        self._calls.pop(path, None)
        self._nested.pop(path, None)
        for memo in self._calls.values():
            stale = [k for k, v in memo.items() if path in v[1]]
            for k in stale:
                del memo[k]
        for key in [k for k, v in self._param_memo.items() if path in v[1] or k[0] == path]:
            del self._param_memo[key]
        stale = [key for key, deps in self._deps.items() if path in deps or key[0] == path]
        for key in stale:
            self._summaries.pop(key, None)
            self._deps.pop(key, None)

    def invalidate_all(self) -> None:
        self._calls.clear()
        self._param_memo.clear()
        self._nested.clear()
        self._summaries.clear()
        self._deps.clear()
        self._module_cache.clear()
        self._shared_modules.clear()

    def workspace_rules_read(self, path: str) -> bool:
        """Whether the last run of the workspace rules read `path` (facts or text)."""
        return path in self._file_deps.get(WORKSPACE_RULES, ())

    def read_by(self, path: str) -> set[str]:
        """The files the last check of `path` read (itself included)."""
        return self._file_deps.get(path, {path})

    def dependents(self, path: str) -> set[str]:
        """Files whose last check read `path` (so an edit of `path` can
        change their findings)."""
        return {f for f, deps in self._file_deps.items() if path in deps and f != path}

    @contextmanager
    def tracking(self, path: str, add: bool = False):
        """Record which files the check of `path` reads (`add`: a check of
        part of it, whose reads add to those of the last whole check)."""
        if not self.track_dependencies:
            # A one-shot check: nothing asks what it read, and collecting it
            # copied the route model's reads into every route file's set.
            yield
            return
        deps: set[str] = {path}
        self._active.append(deps)
        try:
            yield
        finally:
            self._active.pop()
            if add:
                deps |= self._file_deps.get(path, set())
            self._file_deps[path] = deps

    @contextmanager
    def reads_of(self):
        """The set of files the enclosed work reads (the checks around it
        record them too), for a memo that must hand them on when reused."""
        deps: set[str] = set()
        self._active.append(deps)
        try:
            yield deps
        finally:
            self._active.pop()
            self.note_reads(deps)

    def note_reads(self, paths) -> None:
        """A memo built earlier is read: what it read counts as read now."""
        for deps in self._active:
            deps |= paths

    def _touch(self, path: str) -> None:
        for deps in self._active:
            deps.add(path)

    def touch(self, path: str) -> None:
        """A check read `path`'s text (not only its facts)."""
        if self._active:
            self._touch(path)

    def facts(self, path: str) -> FileFacts | None:
        if self.track_dependencies:
            for deps in self._active:
                deps.add(path)
        f = self.ws.files.get(path)
        return f.facts if f is not None else None

    # ------------------------------------------------------------ modules

    def resolve_module(self, from_path: str, spec: str) -> str | None:
        """The source file `spec` imported from `from_path` loads (see
        `modules.ModuleResolver`), or None for an external package."""
        key = (from_path, spec)  # one lookup on the hot path
        found = self._module_cache.get(key, _UNRESOLVED)
        if found is _UNRESOLVED:
            found = self._module_cache[key] = self._resolve_shared(from_path, spec)
        return found

    def _resolve_shared(self, from_path: str, spec: str) -> str | None:
        """Files of one directory share answers (for bare specifiers, when
        the same tsconfig governs them)."""
        modules = self.ws.modules
        config = None if spec.startswith(".") else modules.governing_config(from_path)
        key = (posixpath.dirname(from_path), spec, config)
        if key not in self._shared_modules:
            self._shared_modules[key] = modules.resolve(from_path, spec)
        return self._shared_modules[key]

    def imported_module(self, path: str, local: str) -> str | None:
        facts = self.ws.files[path].facts if path in self.ws.files else None
        if facts is None:
            return None
        imp = facts.import_of(local)
        if imp is not None:
            return imp.module
        ref = facts.binding(local)
        if ref is not None and ref.kind == "require":
            return ref.name
        return None

    # ------------------------------------------------------------ names

    def lookup(self, path: str, name: str, fn: FunctionFact | None = None, depth: int = 0) -> Target | None:
        """What `name` means at a place in a file (locals of `fn` first)."""
        if depth > MAX_DEPTH:
            return None
        facts = self.facts(path)
        if facts is None:
            return None
        # Locals of the enclosing functions, innermost first.
        while fn is not None:
            for local, ref in fn.locals:
                if local == name:
                    return self.evaluate(path, ref, fn, depth + 1)
            fn = facts.function(fn.parent) if fn.parent else None
        cls = facts.klass(name)
        if cls is not None:
            return Target("class", path, name)
        f = facts.function(name)
        if f is not None and f.parent is None and f.class_name is None:
            return Target("function", path, f.id)
        ref = facts.binding(name)
        if ref is not None:
            return self.evaluate(path, ref, None, depth + 1)
        imp = facts.import_of(name)
        if imp is not None:
            target = self.resolve_module(path, imp.module)
            if target is None:
                return Target("external", "", f"{imp.module}:{imp.imported}")
            if imp.imported == "*":
                return Target("module", target)
            return self.export(target, imp.imported, depth + 1)
        return None

    def export(self, path: str, name: str, depth: int = 0) -> Target | None:
        if depth > MAX_DEPTH:
            return None
        facts = self.facts(path)
        if facts is None:
            return None
        if name == "default":
            if facts.default_export is not None:
                return self.evaluate(path, facts.default_export, None, depth + 1)
            return None
        for exported, local in facts.exports:
            if exported == name:
                return self.lookup(path, local, None, depth + 1)
        for exported, module, imported in facts.reexports:
            if exported == name:
                target = self.resolve_module(path, module)
                if target is None:
                    return None
                return Target("module", target) if imported == "*" else self.export(target, imported, depth + 1)
        for module in facts.star_exports:
            target = self.resolve_module(path, module)
            if target is not None:
                found = self.export(target, name, depth + 1)
                if found is not None:
                    return found
        # CommonJS `module.exports = new X()` then `require('./x').method`.
        if facts.default_export is not None and not any(e for e, _ in facts.exports):
            return self.member(self.evaluate(path, facts.default_export, None, depth + 1), name, depth + 1)
        return None

    def evaluate(self, path: str, ref: ValueRef, fn: FunctionFact | None, depth: int = 0) -> Target | None:
        if depth > MAX_DEPTH:
            return None
        target: Target | None = None
        if ref.kind == "function":
            target = Target("function", path, ref.name) if ref.name else None
        elif ref.kind in ("new", "type"):
            cls = self.resolve_path(path, tuple(ref.name.split(".")), fn, depth + 1)
            if cls is not None and cls.kind == "class":
                target = Target("instance", cls.path, cls.name)
            elif ref.kind == "type" and cls is None:
                target = self._class_by_name(ref.name)
        elif ref.kind == "name":
            target = self.resolve_path(path, tuple(ref.name.split(".")), fn, depth + 1)
        elif ref.kind in ("require", "import"):
            module = self.resolve_module(path, ref.name)
            if module is not None:
                target = Target("module", module)
                facts = self.facts(module)
                if facts is not None and facts.default_export is not None and not facts.exports and ref.member is None:
                    target = self.evaluate(module, facts.default_export, None, depth + 1)
            if ref.member is not None:
                return self.export(module, ref.member, depth + 1) if module else None
            return target
        elif ref.kind == "object":
            target = Target("object", path, ref.name)
        elif ref.kind == "call":
            # The result of a workspace function (`RedisService.getInstance()`,
            # `getPrisma()`): what it returns, as far as its facts tell.
            callee = self.resolve_path(path, tuple(ref.name.split(".")), fn, depth + 1)
            target = self.returned(callee, depth + 1)
        if target is not None and ref.member is not None:
            return self.member(target, ref.member, depth + 1)
        return target

    def _class_by_name(self, name: str) -> Target | None:
        """A constructor parameter typed with a class that is not imported
        (NestJS modules often import through barrels): a unique class of
        that name in the workspace."""
        paths = self._class_paths().get(name, ())
        if len(paths) != 1:
            return None
        self._touch(paths[0])
        return Target("instance", paths[0], name)

    def _class_paths(self) -> dict[str, list[str]]:
        """Class name -> files declaring it, rebuilt when any facts change."""
        if self._classes is None or self._classes[0] != self.ws.generation:
            by_name: dict[str, list[str]] = {}
            for p, f in self.ws.files.items():
                for cls in f.facts.classes:
                    by_name.setdefault(cls.name, []).append(p)
            self._classes = (self.ws.generation, by_name)
        return self._classes[1]

    def resolve_path(self, path: str, parts: tuple[str, ...], fn: FunctionFact | None, depth: int = 0, receiver=None) -> Target | None:
        if not parts or depth > MAX_DEPTH:
            return None
        head, rest = parts[0], parts[1:]
        if head in ("this", "super"):
            cls_name = fn.class_name if fn is not None else None
            if not cls_name:
                return None
            if head == "super":
                cls = self.klass(path, cls_name)
                base = self.base_class(path, cls, depth + 1) if cls else None
                if base is None:
                    return None
                target = Target("instance", base[0], base[1].name, receiver or (path, cls_name))
            elif receiver is not None:
                target = Target("instance", receiver[0], receiver[1])
            else:
                target = Target("instance", path, cls_name)
        elif head.endswith("()"):  # `getRedis().get`: what the call returns
            target = self.returned(self.lookup(path, head[:-2], fn, depth + 1), depth + 1)
        else:
            target = self.lookup(path, head, fn, depth + 1)
        for seg in rest:
            if target is None:
                return None
            called = seg.endswith("()")
            name = seg[:-2] if called else seg
            if target.kind == "function" and name not in ("call", "apply", "bind"):
                # `this.cache.client.get`: `client` is a getter, go on from what it returns.
                target = self.returned(target, depth + 1)
                if target is None:
                    return None
            target = self.member(target, name, depth + 1)
            if called:  # `X.getInstance().set`: go on from what `getInstance()` returns
                target = self.returned(target, depth + 1)
        return target

    def returned(self, target: Target | None, depth: int = 0) -> Target | None:
        """What calling a function target gives (FunctionFact.returns)."""
        found = self.function(target) if target is not None and depth <= MAX_DEPTH else None
        if found is None or found[1].returns is None:
            return None
        fpath, fact = found
        return self.evaluate(fpath, fact.returns, fact, depth + 1)

    def klass(self, path: str, name: str) -> ClassFact | None:
        facts = self.facts(path)
        return facts.klass(name) if facts is not None else None

    def base_class(self, path: str, cls: ClassFact, depth: int = 0) -> tuple[str, ClassFact] | None:
        if not cls.extends or depth > MAX_DEPTH:
            return None
        target = self.lookup(path, cls.extends, None, depth + 1)
        if target is None or target.kind != "class":
            return None
        base = self.klass(target.path, target.name)
        return (target.path, base) if base is not None else None

    def member(self, target: Target | None, name: str, depth: int = 0) -> Target | None:
        if target is None or depth > MAX_DEPTH:
            return None
        if target.kind == "module":
            return self.export(target.path, name, depth + 1)
        if target.kind == "object":
            facts = self.facts(target.path)
            obj = facts.object(target.name) if facts is not None else None
            ref = obj.member(name) if obj is not None else None
            return self.evaluate(target.path, ref, None, depth + 1) if ref is not None else None
        if target.kind in ("instance", "class"):
            path, cls = target.path, self.klass(target.path, target.name)
            this = target.receiver or (target.path, target.name) if target.kind == "instance" else None
            seen = 0
            while cls is not None and seen < MAX_DEPTH:
                fid = cls.method(name)
                if fid is not None:
                    return Target("function", path, fid, this)
                # A class's own fields are its statics (`RedisService.instance`).
                if target.kind in ("instance", "class"):
                    ref = cls.member(name)
                    if ref is not None:
                        owner = self.facts(path)
                        ctor = owner.function(f"{cls.name}.constructor") if owner else None
                        return self.evaluate(path, ref, ctor, depth + 1)
                base = self.base_class(path, cls, depth + 1)
                if base is None:
                    return None
                path, cls = base
                seen += 1
        return None

    def function(self, target: Target | None) -> tuple[str, FunctionFact] | None:
        found = self.function_and_receiver(target)
        return found[:2] if found is not None else None

    def function_and_receiver(self, target: Target | None):
        """(path, function, receiver class) of a function target."""
        if target is None or target.kind != "function":
            return None
        facts = self.facts(target.path)
        fn = facts.function(target.name) if facts is not None else None
        return (target.path, fn, target.receiver) if fn is not None else None

    def resolve_call(self, path: str, fn: FunctionFact | None, call: CallFact, receiver=None):
        """(path, function, receiver class) of the workspace function a call
        runs, if the index can see it."""
        if not call.callee or call.is_new:
            return None
        return self.function_and_receiver(self.resolve_path(path, call.callee, fn, 0, receiver))

    # ------------------------------------------------------------ effects

    def direct_effects(self, path: str, fn: FunctionFact | None, call: CallFact) -> list[Effect]:
        """What the call does by itself, as the wings' classifiers say."""
        out: list[Effect] = []
        for classifier in _CLASSIFIERS:
            try:
                out.extend(classifier(self, path, fn, call))
            except Exception:  # a wing's classifier never breaks resolution
                continue
        return out

    def effects_of_call(self, path: str, fn: FunctionFact | None, call: CallFact, _stack: tuple = (), receiver=None) -> tuple[Effect, ...]:
        """What a call reaches: its own effect, the function it runs, and
        the callbacks that function (or an external library) invokes.
        `receiver` is the class `this` stands for in `fn`."""
        if not _stack and receiver is None:
            return self.effects_at(path, call.start, call.end)  # memoised
        return self._effects_of_call(path, fn, call, _stack, receiver)

    def _effects_of_call(self, path: str, fn: FunctionFact | None, call: CallFact, _stack: tuple = (), receiver=None) -> tuple[Effect, ...]:
        out = list(self.direct_effects(path, fn, call))
        resolved = self.resolve_call(path, fn, call, receiver)
        if resolved is not None:
            callee_path, callee_fn, callee_receiver = resolved
            out.extend(e.through(callee_fn.name) for e in self._summary(callee_path, callee_fn, _stack, callee_receiver))
        facts = self.facts(path)
        for arg_index, cb_id in call.callbacks:
            if not self.invokes_callback(call, resolved, arg_index):
                continue
            cb = facts.function(cb_id) if facts is not None else None
            if cb is not None:
                out.extend(self._summary(path, cb, _stack, receiver))
        # A function passed by name (`items.forEach(this.save)`, `$transaction(work)`).
        for arg_index, name in enumerate(call.arg_names):
            if not name or not self.invokes_callback(call, resolved, arg_index):
                continue
            target = self.function_and_receiver(self.resolve_path(path, tuple(name.split(".")), fn, 0, receiver))
            if target is not None:
                out.extend(e.through(target[1].name) for e in self._summary(target[0], target[1], _stack, target[2]))
        return tuple(out)

    def invokes_callback(self, call: CallFact, resolved, arg_index: int) -> bool:
        if resolved is None:
            # Library code: array methods, $transaction, .then run what they get;
            # listeners, timers and route registrations only store it.
            return call.method not in REGISTERS_CALLBACK and not call.is_new
        callee_path, callee_fn, _ = resolved
        return self.calls_param(callee_path, callee_fn, arg_index, 0)

    def calls_param(self, path: str, fn: FunctionFact, index: int, depth: int = 0) -> bool:
        """Whether `fn` (or a function nested in it) calls its parameter
        `index`, directly or by passing it on to a function that does.

        Memoised per (function, parameter). A question met again while it
        is being answered (recursion) is assumed "no" for the moment; a
        "no" that rests on such an assumption is kept only as long as the
        outer question it assumed is open, and becomes final when that
        question is answered "no" too (a "yes" drops it). `depth` is
        accepted for older callers and unused."""
        if index >= len(fn.params) or not fn.params[index]:
            return False
        key = (path, fn.id, index)
        hit = self._param_memo.get(key)
        if hit is not None:
            for active in self._active:
                active |= hit[1]
            return hit[0]
        position = self._param_open.get(key)
        if position is not None:
            self._param_lows[-1] = min(self._param_lows[-1], position)
            return False
        position = len(self._param_lows)
        self._param_open[key] = position
        self._param_lows.append(position)
        mark = len(self._param_provisional)
        deps: set[str] = {path}
        self._active.append(deps)
        try:
            answer = self._scan_for_param_call(path, fn, fn.params[index])
        finally:
            self._active.pop()
            del self._param_open[key]
            low = self._param_lows.pop()
        for active in self._active:
            active |= deps
        if answer:
            # A "yes" is final; the "no"s assumed below it may be wrong.
            for stale in self._param_provisional[mark:]:
                self._param_memo.pop(stale, None)
            del self._param_provisional[mark:]
        elif low >= position:
            del self._param_provisional[mark:]  # their assumptions held: final
        else:
            self._param_provisional.append(key)
            self._param_lows[-1] = min(self._param_lows[-1], low)
        self._param_memo[key] = (answer, deps)
        return answer

    def _scan_for_param_call(self, path: str, fn: FunctionFact, param: str) -> bool:
        for f in self.with_nested(path, fn):
            self.work += len(f.calls)
            for call in f.calls:
                if call.callee[:1] == (param,) and (len(call.callee) == 1 or call.callee[1] in ("call", "apply")):
                    return True
                for i, name in enumerate(call.arg_names):
                    if name == param:
                        inner = self.resolve_call(path, f, call)
                        if inner is None:
                            if call.method not in REGISTERS_CALLBACK:
                                return True
                        elif self.calls_param(inner[0], inner[1], i):
                            return True
        return False

    def with_nested(self, path: str, fn: FunctionFact) -> tuple[FunctionFact, ...]:
        """`fn` and the functions nested in it, from a per-file table built
        once per facts (one sort, then the run of functions that start
        inside `fn`)."""
        facts = self.facts(path)
        entry = self._nested.get(path)
        if entry is None or entry[0] is not facts:
            ordered = sorted(facts.functions, key=lambda f: f.start) if facts is not None else []
            entry = self._nested[path] = (facts, ordered, [f.start for f in ordered], {})
        _, ordered, starts, table = entry
        found = table.get(fn.id)
        if found is None or found[0] is not fn:
            out = [fn]
            i = bisect.bisect_right(starts, fn.start)
            while i < len(ordered) and ordered[i].start < fn.end:
                if ordered[i].end <= fn.end:
                    out.append(ordered[i])
                i += 1
            found = table[fn.id] = tuple(out)
        return found

    def _summary(self, path: str, fn: FunctionFact, stack: tuple, receiver=None) -> tuple[Effect, ...]:
        if receiver is not None and receiver == (path, fn.class_name):
            receiver = None  # `this` is the defining class: share the plain summary
        key = (path, fn.id, receiver)
        if key in self._summaries:
            deps = self._deps.get(key, set())
            for active in self._active:
                active |= deps
            return self._summaries[key]
        if key in stack or len(stack) > 40:
            return ()  # recursion: the cycle adds nothing new
        deps: set[str] = {path}
        self._active.append(deps)
        self.work += len(fn.calls)
        try:
            out: list[Effect] = []
            for call in fn.calls:
                out.extend(self.effects_of_call(path, fn, call, stack + (key,), receiver))
        finally:
            self._active.pop()
        for active in self._active:
            active |= deps
        result = tuple(dict.fromkeys(out))
        self._summaries[key] = result
        self._deps[key] = deps
        return result

    def effects_of_function(self, path: str, fid: str, receiver=None) -> tuple[Effect, ...]:
        """What a function reaches; `receiver` is the class `this` stands
        for (a subclass, when the function is an inherited method)."""
        facts = self.facts(path)
        fn = facts.function(fid) if facts is not None else None
        return self._summary(path, fn, (), receiver) if fn is not None else ()

    def effects_at(self, path: str, start: int, end: int) -> tuple[Effect, ...]:
        """What the call (or `new`) spanning [start, end) in `path` reaches.

        Memoised: several rules ask about the same calls of a file."""
        key = (start, end)
        hit = self._calls.get(path, {}).get(key)
        if hit is not None:
            for active in self._active:
                active |= hit[1]
            return hit[0]
        facts = self.facts(path)
        if facts is None:
            return ()
        fn, call = facts.call_at(start, end)
        if call is None:
            return ()
        deps: set[str] = {path}
        self._active.append(deps)
        try:
            effects = self._effects_of_call(path, fn, call)
        finally:
            self._active.pop()
        for active in self._active:
            active |= deps
        self._calls.setdefault(path, {})[key] = (effects, deps)
        return effects
