"""Facts: a plain summary of what one TypeScript/JavaScript file does.

These are the data: functions and the calls inside each, classes and their
members, imports, exports and module-level bindings, and what wings add
(`register_extractor`). They are frozen: the index resolves names across
files from them, and a file whose facts did not change after an edit
invalidates nothing elsewhere. `extract.py` builds them from a tree.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from functools import cached_property


def fast_pickle(cls):
    """Pickle a frozen fact as the call that builds it, and leave out the
    lookup tables cached on it: the parallel load and the cache move
    hundreds of thousands of facts. Facts with slots get `cls.build(*values)`
    (see `_builder`), which pickles use too: unpickling the facts of 4,000
    files takes 0.9 s instead of 1.35 s."""
    names = tuple(f.name for f in dataclasses.fields(cls))
    make = _builder(cls, names) if "__slots__" in cls.__dict__ else cls

    def __reduce__(self):
        return (make, tuple([getattr(self, name) for name in names]))

    cls.__reduce__ = __reduce__
    return cls


def _builder(cls, names: tuple[str, ...]):
    """`cls.build(*values)`: an instance from all its field values, in field
    order, set slot by slot: twice as fast as the frozen `__init__`, which
    goes through `object.__setattr__` for each field (the splice moves facts
    with it at each keystroke). It is a module-level function of the class's
    module, `_build_<Class>`, so that pickle names it; `builds` says whose
    builder it is (the cache's unpickler accepts nothing else)."""
    setters = {f"_set_{n}": getattr(cls, n).__set__ for n in names}
    body = "".join(f"    _set_{n}(obj, {n})\n" for n in names)
    namespace = {"_new": object.__new__, "_cls": cls, **setters}
    name = f"_build_{cls.__name__}"
    exec(f"def {name}({', '.join(names)}):\n    obj = _new(_cls)\n{body}    return obj\n", namespace)
    build = namespace[name]
    build.__module__, build.__qualname__, build.builds = cls.__module__, name, cls
    setattr(sys.modules[cls.__module__], name, build)
    cls.build = staticmethod(build)
    return build


@fast_pickle
@dataclass(frozen=True, slots=True)
class ValueRef:
    """What a name or member holds, as far as syntax tells.

    kind: "new" (an instance of class `name`), "type" (annotated with type
    `name`), "name" (another binding, possibly a dotted path), "function" (the
    function with id `name` in this file), "require" (module `name`),
    "import" (dynamic `import(name)`), "call" (result of calling `name`).
    `member` picks a property of it (destructuring `const { a } = x`).
    """

    kind: str
    name: str
    member: str | None = None


@fast_pickle
@dataclass(frozen=True, slots=True)
class ObjectFact:
    """An object literal bound at module level (`export default { list, get }`,
    `const userService = { all: async () => ... }`): what each key holds."""

    id: str  # "<object@offset>"
    members: tuple[tuple[str, ValueRef], ...]

    def member(self, name: str) -> ValueRef | None:
        return _lookup(self.members, name)


def _lookup(pairs, key):
    """The value paired with `key` in a small tuple of (key, value) pairs."""
    for k, v in pairs:
        if k == key:
            return v
    return None


@fast_pickle
@dataclass(frozen=True, slots=True)
class CallFact:
    start: int
    end: int
    callee: tuple[str, ...]  # ("this", "repo", "create"); () when not a plain path
    method: str  # last segment, also for `a().b()` chains
    awaited: bool
    callbacks: tuple[tuple[int, str], ...]  # (argument index, id of an inline function argument)
    arg_names: tuple[str | None, ...]  # identifier passed at each argument, else None
    is_new: bool = False


@fast_pickle
@dataclass(frozen=True, slots=True)
class FunctionFact:
    id: str
    name: str  # display name: "UserService.create", "createUser", "<arrow>"
    class_name: str | None
    start: int
    end: int
    body_start: int
    params: tuple[str, ...]  # "" for destructured parameters
    param_types: tuple[str | None, ...]
    parent: str | None  # enclosing function id
    is_async: bool
    calls: tuple[CallFact, ...]
    locals: tuple[tuple[str, ValueRef], ...] = ()
    # What calling it gives: what every `return` returns (`new X()`, a
    # name, a call), else its declared return type (`Promise<T>` -> T).
    returns: ValueRef | None = None


@fast_pickle
@dataclass(frozen=True, slots=True)
class ClassFact:
    name: str
    extends: str | None
    start: int
    end: int
    methods: tuple[tuple[str, str], ...]  # (method name, function id)
    members: tuple[tuple[str, ValueRef], ...]  # this.<name> -> what it holds

    def method(self, name: str) -> str | None:
        return _lookup(self.methods, name)

    def member(self, name: str) -> ValueRef | None:
        return _lookup(self.members, name)


@fast_pickle
@dataclass(frozen=True, slots=True)
class ImportFact:
    local: str
    module: str
    imported: str  # "default", "*" or an exported name


@dataclass(frozen=True, slots=True)
class NameInScope:
    """Where a name used inside a function is declared: "local" (`ref` is
    its value), "param" (`ref` is its annotated type, or None; `index` is its
    position) or "module" (a module-level binding). `scope` is the function
    that declares it (None at module level)."""

    kind: str
    ref: ValueRef | None
    scope: FunctionFact | None
    index: int = -1


@fast_pickle
@dataclass(frozen=True)
class FileFacts:
    functions: tuple[FunctionFact, ...] = ()
    classes: tuple[ClassFact, ...] = ()
    imports: tuple[ImportFact, ...] = ()
    exports: tuple[tuple[str, str], ...] = ()  # (exported name, local name)
    reexports: tuple[tuple[str, str, str], ...] = ()  # (exported, module, imported); imported "*" = namespace
    star_exports: tuple[str, ...] = ()  # modules of `export * from`
    default_export: ValueRef | None = None
    bindings: tuple[tuple[str, ValueRef], ...] = ()  # module-level const/let/var
    module_calls: tuple[CallFact, ...] = ()  # calls at module level
    objects: tuple[ObjectFact, ...] = ()  # object literals that bindings hold (ValueRef kind "object")
    has_errors: bool = False
    # Facts that feature modules add (routes, Redis clients...), by key.
    extras: tuple[tuple[str, object], ...] = ()

    # -- lookups, built once per facts object (cached_property writes the
    # instance __dict__, so it works on a frozen dataclass and stays out of
    # equality and hashing) --
    @cached_property
    def _functions_by_id(self) -> dict[str, FunctionFact]:
        return {fn.id: fn for fn in self.functions}

    @cached_property
    def _classes_by_name(self) -> dict[str, ClassFact]:
        return {cls.name: cls for cls in self.classes}

    @cached_property
    def _bindings_by_name(self) -> dict[str, ValueRef]:
        return dict(self.bindings)

    @cached_property
    def _imports_by_local(self) -> dict[str, ImportFact]:
        return {imp.local: imp for imp in self.imports}

    @cached_property
    def calls_in_scope(self) -> tuple[tuple[FunctionFact | None, CallFact], ...]:
        """Every call of the file with the function it is in (None: module level)."""
        return tuple((None, c) for c in self.module_calls) + tuple((fn, c) for fn in self.functions for c in fn.calls)

    @cached_property
    def all_calls(self) -> tuple[CallFact, ...]:
        return tuple(c for _, c in self.calls_in_scope)

    def awaits_two_alike(self, kind_of) -> bool:
        """Whether one function (or the module level) awaits two calls of the
        same `kind_of(call)` (None: the call does not count). Rules about
        runs of awaits ask it before they parse the file."""
        seen = set()
        for fn, call in self.calls_in_scope:
            kind = kind_of(call) if call.awaited else None
            if kind is None:
                continue
            key = (fn.id if fn is not None else None, kind)
            if key in seen:
                return True
            seen.add(key)
        return False

    @cached_property
    def _calls_by_range(self) -> dict[int, tuple[FunctionFact | None, CallFact]]:
        # One int key per call, and the pairs of `calls_in_scope` as values:
        # a tuple key and a new pair for each of the workspace's calls cost
        # some 30 MB per process on 30 MB of code.
        return {_range_key(pair[1].start, pair[1].end): pair for pair in self.calls_in_scope}

    @cached_property
    def structure(self) -> tuple:
        """What other files can see of this one, without byte offsets of
        function bodies: an edit that leaves it equal changes no name's
        meaning elsewhere."""
        classes = tuple((c.name, c.extends, c.methods, c.members) for c in self.classes)
        # Named functions only: anonymous ids carry offsets that move as the user types.
        functions = tuple((f.id, f.params, f.param_types, f.class_name, f.returns) for f in self.functions if "@" not in f.id)
        extras = tuple((k, _STRUCTURE_KEYS[k](v) if k in _STRUCTURE_KEYS else v) for k, v in self.extras)
        return (self.imports, self.exports, self.reexports, self.star_exports, self.default_export,
                self.bindings, classes, functions, extras)

    def drop_call_lookups(self) -> None:
        """Forget the tables of calls (a one-shot check is done with the file)."""
        for name in ("calls_in_scope", "all_calls", "_calls_by_range", "_calls_asked"):
            self.__dict__.pop(name, None)

    def function(self, fid: str) -> FunctionFact | None:
        return self._functions_by_id.get(fid)

    def klass(self, name: str) -> ClassFact | None:
        return self._classes_by_name.get(name)

    def object(self, oid: str) -> ObjectFact | None:
        for obj in self.objects:
            if obj.id == oid:
                return obj
        return None

    def binding(self, name: str) -> ValueRef | None:
        return self._bindings_by_name.get(name)

    def name_in_scope(self, fn: FunctionFact | None, name: str) -> NameInScope | None:
        """The declaration `name` refers to inside `fn`: a local or parameter
        of `fn` or an enclosing function (innermost first), else a
        module-level binding; None when it is neither (an import, a global)."""
        scope = fn
        while scope is not None:
            for local, ref in scope.locals:
                if local == name:
                    return NameInScope("local", ref, scope)
            for i, (param, ptype) in enumerate(zip(scope.params, scope.param_types)):
                if param == name:
                    return NameInScope("param", ValueRef("type", ptype) if ptype is not None else None, scope, i)
            scope = self.function(scope.parent) if scope.parent else None
        ref = self.binding(name)
        return NameInScope("module", ref, None) if ref is not None else None

    def import_of(self, local: str) -> ImportFact | None:
        return self._imports_by_local.get(local)

    def extra(self, key: str, default=None):
        value = _lookup(self.extras, key)
        return default if value is None else value

    def function_at(self, offset: int) -> FunctionFact | None:
        """The innermost function whose range contains `offset`."""
        best = None
        for fn in self.functions:
            if fn.start <= offset < fn.end and (best is None or fn.start >= best.start):
                best = fn
        return best

    def call_at(self, start: int, end: int) -> tuple[FunctionFact | None, CallFact | None]:
        table = self.__dict__.get("_calls_by_range")
        if table is None:
            # A few questions (the check of one edited function) are answered
            # by a look through the function at `start`: the table of every
            # call costs milliseconds on a long file, built anew each keystroke.
            asked = self.__dict__["_calls_asked"] = self.__dict__.get("_calls_asked", 0) + 1
            if asked <= _FEW_QUESTIONS:
                return self._call_in_function_at(start, end)
            table = self._calls_by_range
        return table.get(_range_key(start, end), (None, None))

    def _call_in_function_at(self, start: int, end: int) -> tuple[FunctionFact | None, CallFact | None]:
        fn = self.function_at(start)
        while fn is not None:
            for call in fn.calls:
                if call.start == start and call.end == end:
                    return fn, call
            fn = self.function(fn.parent) if fn.parent else None
        for call in self.module_calls:
            if call.start == start and call.end == end:
                return None, call
        return None, None


_FEW_QUESTIONS = 32


def _range_key(start: int, end: int) -> int:
    return (start << 32) | end


EXTRA_EXTRACTORS: list = []


_STRUCTURE_KEYS: dict = {}


def register_extractor(key: str, extractor, structure=None) -> None:
    """Add facts for a feature: `extractor(root_node, language) -> hashable,
    frozen value` (language: "typescript" or "tsx", the grammar that parsed it)."""
    EXTRA_EXTRACTORS.append((key, extractor))
    if structure is not None:
        # What of the value other files depend on (see FileFacts.structure).
        _STRUCTURE_KEYS[key] = structure
