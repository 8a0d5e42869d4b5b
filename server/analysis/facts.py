"""Facts: a plain summary of what one TypeScript/JavaScript file does.

One pass over a tree (driven by tree-sitter queries, so the walk runs in C)
extracts functions and the calls inside each, classes and their members,
imports, exports and module-level bindings. Facts are frozen data: the
index resolves names across files from them, and a file whose facts did not
change after an edit invalidates nothing elsewhere. The tree can be dropped.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cached_property, lru_cache

import tree_sitter

from perfaudit.server.analysis.parsing import grammar, node_text

FUNCTION_KINDS = {
    "function_declaration",
    "generator_function_declaration",
    "function_expression",
    "function",
    "arrow_function",
    "method_definition",
}
CLASS_KINDS = {"class_declaration", "abstract_class_declaration", "class"}
LOOP_KINDS = {"for_statement", "for_in_statement", "while_statement", "do_statement"}


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


@dataclass(frozen=True, slots=True)
class ImportFact:
    local: str
    module: str
    imported: str  # "default", "*" or an exported name


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

    @cached_property
    def _calls_by_range(self) -> dict[tuple[int, int], tuple[FunctionFact | None, CallFact]]:
        out = {}
        for call in self.module_calls:
            out[(call.start, call.end)] = (None, call)
        for fn in self.functions:
            for call in fn.calls:
                out[(call.start, call.end)] = (fn, call)
        return out

    @cached_property
    def structure(self) -> tuple:
        """What other files can see of this one, without byte offsets of
        function bodies: an edit that leaves it equal changes no name's
        meaning elsewhere."""
        classes = tuple((c.name, c.extends, c.methods, c.members) for c in self.classes)
        # Named functions only: anonymous ids carry offsets that move as the user types.
        functions = tuple((f.id, f.params, f.param_types, f.class_name) for f in self.functions if "@" not in f.id)
        extras = tuple((k, _STRUCTURE_KEYS[k](v) if k in _STRUCTURE_KEYS else v) for k, v in self.extras)
        return (self.imports, self.exports, self.reexports, self.star_exports, self.default_export,
                self.bindings, classes, functions, extras)

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
        return self._calls_by_range.get((start, end), (None, None))


# ---------------------------------------------------------------- syntax helpers


def unwrap(node):
    """Look through parentheses, `x!`, `x as T`, `<T>x` and `satisfies`."""
    while node is not None and node.type in (
        "parenthesized_expression",
        "non_null_expression",
        "as_expression",
        "satisfies_expression",
        "type_assertion",
    ):
        inner = node.named_children
        if not inner:
            break
        node = inner[0] if node.type != "type_assertion" else inner[-1]
    return node


def name_of(node) -> str:
    """An identifier's text, interned: the same names recur across thousands
    of facts (`prisma`, `this`, `findMany`), one copy each saves memory."""
    return sys.intern(node_text(node))


def member_path(node) -> tuple[str, ...]:
    """`this.repo.create` -> ("this", "repo", "create"); () when not a plain path."""
    node = unwrap(node)
    parts: list[str] = []
    while node is not None:
        kind = node.type
        if kind == "member_expression":
            prop = node.child_by_field_name("property")
            if prop is None:
                return ()
            parts.append(name_of(prop))
            node = unwrap(node.child_by_field_name("object"))
        elif kind == "subscript_expression":
            index = node.child_by_field_name("index")
            if index is None or index.type != "string":
                return ()
            parts.append(node_text(index)[1:-1])
            node = unwrap(node.child_by_field_name("object"))
        elif kind in ("identifier", "this", "super", "property_identifier", "shorthand_property_identifier"):
            parts.append(name_of(node))
            return tuple(reversed(parts))
        else:
            return ()
    return ()


_SHARED_TUPLES: dict[tuple, tuple] = {}


def _shared(value: tuple) -> tuple:
    """One copy of each callee path (`("prisma", "user", "findMany")` recurs
    in thousands of calls)."""
    if len(_SHARED_TUPLES) > 200_000:
        _SHARED_TUPLES.clear()
    return _SHARED_TUPLES.setdefault(value, value)


def last_member(node) -> str:
    node = unwrap(node)
    if node is None:
        return ""
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return node_text(prop) if prop is not None else ""
    if node.type == "identifier":
        return node_text(node)
    return ""


def is_awaited(node) -> bool:
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "non_null_expression", "as_expression"):
        parent = parent.parent
    return parent is not None and parent.type == "await_expression"


def type_name(type_node) -> str | None:
    """`: Repo<X>` -> "Repo"; `: PrismaService` -> "PrismaService"."""
    if type_node is None:
        return None
    node = type_node
    if node.type == "type_annotation":
        named = node.named_children
        if not named:
            return None
        node = named[0]
    if node.type == "generic_type":
        node = node.child_by_field_name("name") or node
    if node.type in ("type_identifier", "identifier"):
        return node_text(node)
    if node.type == "nested_type_identifier":
        return node_text(node).split(".")[-1]
    return None


def string_value(node) -> str | None:
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "string":
        return "".join(node_text(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence"))
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return "".join(node_text(c) for c in node.named_children if c.type == "string_fragment")
    return None


def value_ref(node) -> ValueRef | None:
    """What an initializer expression holds, as a ValueRef (None if unknown)."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "await_expression" and node.named_children:
        node = unwrap(node.named_children[0])
    if node.type == "binary_expression" and node.child_by_field_name("operator") is not None \
            and node_text(node.child_by_field_name("operator")) in ("??", "||"):
        # The singleton guard `globalThis.prisma ?? new PrismaClient()`: the
        # value is what the fallback creates (the cached one is the same kind).
        fallback = unwrap(node.child_by_field_name("right"))
        if fallback is not None and fallback.type in ("new_expression", "call_expression"):
            return value_ref(fallback)
        return None
    kind = node.type
    if kind == "new_expression":
        ctor = node.child_by_field_name("constructor")
        path = member_path(ctor) if ctor is not None else ()
        return ValueRef("new", ".".join(path)) if path else None
    if kind in ("identifier", "member_expression"):
        path = member_path(node)
        return ValueRef("name", ".".join(path)) if path else None
    if kind == "call_expression":
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is not None and fn.type == "identifier" and node_text(fn) == "require" and args is not None:
            first = args.named_children[0] if args.named_children else None
            module = string_value(first)
            return ValueRef("require", module) if module else None
        if fn is not None and fn.type == "import" and args is not None:
            first = args.named_children[0] if args.named_children else None
            module = string_value(first)
            return ValueRef("import", module) if module else None
        path = member_path(fn) if fn is not None else ()
        return ValueRef("call", ".".join(path)) if path else None
    return None


def _declarator_bindings(decl) -> list[tuple[str, ValueRef | None, object]]:
    """(name, value, value node) for a variable_declarator, destructuring included."""
    name = decl.child_by_field_name("name")
    value = decl.child_by_field_name("value")
    if name is None:
        return []
    ref = value_ref(value) if value is not None else None
    if name.type == "identifier":
        return [(node_text(name), ref, value)]
    out = []
    if name.type == "object_pattern" and ref is not None:
        for prop in name.named_children:
            if prop.type == "shorthand_property_identifier_pattern":
                key = local = node_text(prop)
            elif prop.type == "pair_pattern":
                key_node, val_node = prop.child_by_field_name("key"), prop.child_by_field_name("value")
                if key_node is None or val_node is None or val_node.type != "identifier":
                    continue
                key, local = node_text(key_node), node_text(val_node)
            else:
                continue
            out.append((local, ValueRef(ref.kind, ref.name, key), None))
    return out


# ---------------------------------------------------------------- extraction

_QUERY_SOURCE = """
(call_expression) @call
(new_expression) @new
(function_declaration) @function
(generator_function_declaration) @function
(function_expression) @function
(arrow_function) @function
(method_definition) @function
(class_declaration) @class
(abstract_class_declaration) @class
(class) @class
(variable_declarator) @declarator
"""


@lru_cache(maxsize=None)
def _query(language: str) -> tree_sitter.Query:
    return tree_sitter.Query(grammar(language), _QUERY_SOURCE)


_EXTRA_EXTRACTORS: list = []


_STRUCTURE_KEYS: dict = {}


def register_extractor(key: str, extractor, structure=None) -> None:
    """Add facts for a feature: `extractor(root_node, language) -> hashable,
    frozen value` (language: "typescript" or "tsx", the grammar that parsed it)."""
    _EXTRA_EXTRACTORS.append((key, extractor))
    if structure is not None:
        # What of the value other files depend on (see FileFacts.structure).
        _STRUCTURE_KEYS[key] = structure


class _Builder:
    def __init__(self, tree: tree_sitter.Tree, language: str):
        self.tree = tree
        self.root = tree.root_node
        self.language = language
        self.fn_nodes: list = []  # (start, end, node)
        self.fn_ids: dict[tuple[int, int], str] = {}
        self.used_ids: set[str] = set()

    # -- function naming --
    def _function_name(self, node) -> tuple[str, str | None]:
        """(display name, class name) of a function node."""
        cls = self._enclosing_class(node)
        cls_name = cls[1] if cls else None
        kind = node.type
        name_node = node.child_by_field_name("name")
        if kind == "method_definition" and name_node is not None:
            return node_text(name_node), cls_name
        if name_node is not None and kind != "arrow_function":
            return node_text(name_node), cls_name if self._is_class_member(node) else None
        parent = node.parent
        while parent is not None and parent.type in ("parenthesized_expression", "as_expression", "satisfies_expression"):
            parent = parent.parent
        if parent is not None:
            if parent.type == "variable_declarator":
                n = parent.child_by_field_name("name")
                if n is not None and n.type == "identifier":
                    return node_text(n), None
            if parent.type in ("public_field_definition", "field_definition"):
                n = parent.child_by_field_name("name") or parent.child_by_field_name("property")
                if n is not None:
                    return node_text(n), cls_name
            if parent.type == "pair":
                key = parent.child_by_field_name("key")
                if key is not None:
                    return node_text(key), None
            if parent.type == "assignment_expression":
                left = parent.child_by_field_name("left")
                path = member_path(left) if left is not None else ()
                if path:
                    return ".".join(path), None
        return "", None

    def _is_class_member(self, node) -> bool:
        parent = node.parent
        return parent is not None and parent.type == "class_body"

    def _enclosing_class(self, node):
        parent = node.parent
        while parent is not None:
            if parent.type in CLASS_KINDS:
                n = parent.child_by_field_name("name")
                return (parent, node_text(n) if n is not None else "")
            parent = parent.parent
        return None

    def _assign_id(self, node, name: str, cls: str | None) -> str:
        base = f"{cls}.{name}" if cls and name else (name or f"<anonymous@{node.start_byte}>")
        fid = base
        if fid in self.used_ids:
            fid = f"{base}@{node.start_byte}"
        self.used_ids.add(fid)
        return fid

    def build(self) -> FileFacts:
        cursor = tree_sitter.QueryCursor(_query(self.language))
        caps = cursor.captures(self.root)
        functions = sorted(caps.get("function", []), key=lambda n: (n.start_byte, -n.end_byte))
        calls = caps.get("call", []) + caps.get("new", [])
        calls.sort(key=lambda n: n.start_byte)
        classes = caps.get("class", [])
        declarators = caps.get("declarator", [])

        # Name the functions (outer before inner) and find parents.
        fn_info = []
        stack: list = []
        for node in functions:
            while stack and not (stack[-1][0].start_byte <= node.start_byte and node.end_byte <= stack[-1][0].end_byte):
                stack.pop()
            parent_id = stack[-1][1] if stack else None
            name, cls = self._function_name(node)
            if cls is None and stack:
                cls = stack[-1][2]  # arrow functions inside a method see its `this`
                if node.type != "arrow_function":
                    cls = None
            fid = self._assign_id(node, name, cls if name else None)
            fn_info.append((node, fid, cls, parent_id, name))
            stack.append((node, fid, cls))

        # Assign calls to their innermost function with a sweep.
        calls_by_fn: dict[str, list[CallFact]] = {}
        module_calls: list[CallFact] = []
        ordered = sorted(fn_info, key=lambda t: t[0].start_byte)
        stack = []
        fi = 0
        fn_id_by_range = {(n.start_byte, n.end_byte): fid for n, fid, *_ in fn_info}
        for call in calls:
            while fi < len(ordered) and ordered[fi][0].start_byte <= call.start_byte:
                stack.append(ordered[fi])
                fi += 1
                while len(stack) >= 2 and not (stack[-2][0].start_byte <= stack[-1][0].start_byte and stack[-1][0].end_byte <= stack[-2][0].end_byte):
                    stack.pop(-2)
            while stack and stack[-1][0].end_byte <= call.start_byte:
                stack.pop()
            fact = self._call_fact(call, fn_id_by_range)
            if fact is None:
                continue
            owner = None
            for entry in reversed(stack):
                if entry[0].start_byte <= call.start_byte and call.end_byte <= entry[0].end_byte:
                    owner = entry
                    break
            if owner is None:
                module_calls.append(fact)
            else:
                calls_by_fn.setdefault(owner[1], []).append(fact)

        # Locals per function: const x = new X() / const x = y.
        locals_by_fn: dict[str, list] = {}
        bindings: list[tuple[str, ValueRef]] = []
        objects: list[ObjectFact] = []
        for decl in declarators:
            owner = self._owner_function(decl, fn_id_by_range)
            for name, ref, value_node in _declarator_bindings(decl):
                ref = self._binding_ref(value_node, ref, fn_id_by_range, owner is None, objects)
                if ref is None:
                    continue
                if owner is None:
                    bindings.append((name, ref))
                else:
                    locals_by_fn.setdefault(owner, []).append((name, ref))

        function_facts = []
        for node, fid, cls, parent_id, name in fn_info:
            params, types = self._params(node)
            body = node.child_by_field_name("body")
            is_async = any(c.type == "async" for c in node.children)
            is_member = node.type == "method_definition" or self._is_field_fn(node)
            display = f"{cls}.{name}" if cls and name and is_member else (name or "<anonymous>")
            function_facts.append(
                FunctionFact(
                    id=fid,
                    name=display,
                    class_name=cls,
                    start=node.start_byte,
                    end=node.end_byte,
                    body_start=body.start_byte if body is not None else node.start_byte,
                    params=params,
                    param_types=types,
                    parent=parent_id,
                    is_async=is_async,
                    calls=tuple(calls_by_fn.get(fid, ())),
                    locals=tuple(locals_by_fn.get(fid, ())),
                )
            )

        class_facts = [self._class_fact(c, fn_id_by_range) for c in classes]
        imports, exports, reexports, stars, default_export, more_bindings = self._module_level(fn_id_by_range, objects)
        bindings.extend(more_bindings)
        extras = []
        for key, extractor in _EXTRA_EXTRACTORS:
            try:
                extras.append((key, extractor(self.root, self.language)))
            except Exception:  # a feature's extractor never breaks the file
                continue
        return FileFacts(
            functions=tuple(function_facts),
            classes=tuple(c for c in class_facts if c is not None),
            imports=tuple(imports),
            exports=tuple(exports),
            reexports=tuple(reexports),
            star_exports=tuple(stars),
            default_export=default_export,
            bindings=tuple(bindings),
            module_calls=tuple(module_calls),
            objects=tuple(objects),
            has_errors=self.root.has_error,
            extras=tuple(extras),
        )

    def _binding_ref(self, value_node, ref, fn_id_by_range, module_level: bool, objects: list) -> ValueRef | None:
        """What a `const name = <value>` holds, beyond `value_ref`: a function
        (also one wrapped by `catchAsync(async (req, res) => ...)`-style
        helpers: calling the binding runs it), or a module-level object literal."""
        value_node = unwrap(value_node)
        if value_node is None:
            return ref
        if value_node.type in ("arrow_function", "function_expression", "function"):
            return ValueRef("function", fn_id_by_range.get((value_node.start_byte, value_node.end_byte), ""))
        if value_node.type == "call_expression":
            args = value_node.child_by_field_name("arguments")
            inline = [unwrap(a) for a in (args.named_children if args is not None else ())]
            inline = [a for a in inline if a is not None and a.type in ("arrow_function", "function_expression", "function")]
            if len(inline) == 1:
                return ValueRef("function", fn_id_by_range.get((inline[0].start_byte, inline[0].end_byte), ""))
        if value_node.type == "object" and module_level:
            obj = self._object_fact(value_node, fn_id_by_range)
            objects.append(obj)
            return ValueRef("object", obj.id)
        return ref

    def _object_fact(self, node, fn_id_by_range) -> ObjectFact:
        members = []
        for prop in node.named_children:
            if prop.type == "shorthand_property_identifier":
                members.append((name_of(prop), ValueRef("name", name_of(prop))))
            elif prop.type == "pair":
                key, value = prop.child_by_field_name("key"), prop.child_by_field_name("value")
                if key is None or value is None or key.type == "computed_property_name":
                    continue
                k = node_text(key).strip("'\"")
                ref = self._binding_ref(value, value_ref(value), fn_id_by_range, False, [])
                if ref is not None:
                    members.append((k, ref))
            elif prop.type == "method_definition":
                n = prop.child_by_field_name("name")
                fid = fn_id_by_range.get((prop.start_byte, prop.end_byte))
                if n is not None and fid:
                    members.append((node_text(n), ValueRef("function", fid)))
        return ObjectFact(f"<object@{node.start_byte}>", tuple(members))

    def _is_field_fn(self, node) -> bool:
        parent = node.parent
        return parent is not None and parent.type in ("public_field_definition", "field_definition")

    def _owner_function(self, node, fn_id_by_range) -> str | None:
        parent = node.parent
        while parent is not None:
            if parent.type in FUNCTION_KINDS:
                return fn_id_by_range.get((parent.start_byte, parent.end_byte))
            parent = parent.parent
        return None

    def _params(self, node) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
        params_node = node.child_by_field_name("parameters")
        if params_node is None:
            single = node.child_by_field_name("parameter")  # `x => ...`
            if single is not None:
                return (node_text(single),), (None,)
            return (), ()
        names, types = [], []
        for p in params_node.named_children:
            if p.type not in ("required_parameter", "optional_parameter", "identifier", "assignment_pattern", "rest_pattern"):
                continue
            pattern = p.child_by_field_name("pattern") if p.type != "identifier" else p
            if pattern is not None and pattern.type == "rest_pattern":
                pattern = pattern.named_children[0] if pattern.named_children else None
            names.append(node_text(pattern) if pattern is not None and pattern.type == "identifier" else "")
            types.append(type_name(p.child_by_field_name("type")) if p.type != "identifier" else None)
        return tuple(names), tuple(types)

    def _call_fact(self, node, fn_id_by_range) -> CallFact | None:
        is_new = node.type == "new_expression"
        fn = node.child_by_field_name("constructor" if is_new else "function")
        args = node.child_by_field_name("arguments")
        if fn is None:
            return None
        callee = _shared(member_path(fn))
        callbacks = []
        arg_names: list[str | None] = []
        if args is not None and args.type == "arguments":
            for i, arg in enumerate(args.named_children):
                inner = unwrap(arg)
                if inner is not None and inner.type in ("arrow_function", "function_expression", "function"):
                    fid = fn_id_by_range.get((inner.start_byte, inner.end_byte))
                    if fid:
                        callbacks.append((i, fid))
                    arg_names.append(None)
                elif inner is not None and inner.type in ("identifier", "member_expression"):
                    path = member_path(inner)
                    arg_names.append(sys.intern(".".join(path)) if path else None)
                else:
                    arg_names.append(None)
        return CallFact(
            start=node.start_byte,
            end=node.end_byte,
            callee=callee,
            method=last_member(fn),
            awaited=is_awaited(node),
            callbacks=tuple(callbacks),
            # No names at all (the common case): one shared empty tuple.
            arg_names=tuple(arg_names) if any(arg_names) else (),
            is_new=is_new,
        )

    def _class_fact(self, node, fn_id_by_range) -> ClassFact | None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            parent = node.parent
            if parent is not None and parent.type == "variable_declarator":
                name_node = parent.child_by_field_name("name")
        if name_node is None:
            return None
        extends = None
        for child in node.children:
            if child.type == "class_heritage":
                for clause in child.named_children:
                    if clause.type == "extends_clause":
                        value = clause.child_by_field_name("value")
                        path = member_path(value) if value is not None else ()
                        extends = path[-1] if path else None
        methods = []
        members: dict[str, ValueRef] = {}
        body = node.child_by_field_name("body")
        for member in body.named_children if body is not None else ():
            if member.type == "method_definition":
                n = member.child_by_field_name("name")
                fid = fn_id_by_range.get((member.start_byte, member.end_byte))
                if n is not None and fid:
                    methods.append((node_text(n), fid))
                if n is not None and node_text(n) == "constructor":
                    self._constructor_members(member, members)
            elif member.type in ("public_field_definition", "field_definition"):
                n = member.child_by_field_name("name") or member.child_by_field_name("property")
                value = unwrap(member.child_by_field_name("value"))
                if n is None:
                    continue
                if value is not None and value.type in ("arrow_function", "function_expression"):
                    fid = fn_id_by_range.get((value.start_byte, value.end_byte))
                    if fid:
                        methods.append((node_text(n), fid))
                    continue
                ref = value_ref(value) if value is not None else None
                if ref is None:
                    t = type_name(member.child_by_field_name("type"))
                    ref = ValueRef("type", t) if t else None
                if ref is not None:
                    members[node_text(n)] = ref
        return ClassFact(
            name=node_text(name_node),
            extends=extends,
            start=node.start_byte,
            end=node.end_byte,
            methods=tuple(methods),
            members=tuple(members.items()),
        )

    def _constructor_members(self, ctor, members: dict[str, ValueRef]) -> None:
        params = ctor.child_by_field_name("parameters")
        param_types: dict[str, str] = {}
        for p in params.named_children if params is not None else ():
            pattern = p.child_by_field_name("pattern")
            t = type_name(p.child_by_field_name("type"))
            if pattern is None or pattern.type != "identifier":
                continue
            pname = node_text(pattern)
            if t:
                param_types[pname] = t
            # `private readonly repo: UserRepository` makes a member.
            if any(c.type in ("accessibility_modifier", "readonly", "override_modifier") for c in p.children) and t:
                members[pname] = ValueRef("type", t)
        body = ctor.child_by_field_name("body")
        if body is None:
            return
        for stmt in body.named_children:
            if stmt.type != "expression_statement" or not stmt.named_children:
                continue
            expr = stmt.named_children[0]
            if expr.type != "assignment_expression":
                continue
            left = member_path(expr.child_by_field_name("left"))
            if len(left) != 2 or left[0] != "this":
                continue
            right = expr.child_by_field_name("right")
            ref = value_ref(right)
            if ref is not None and ref.kind == "name" and ref.name in param_types:
                ref = ValueRef("type", param_types[ref.name])
            if ref is not None:
                members.setdefault(left[1], ref)

    def _module_level(self, fn_id_by_range, objects: list):
        imports: list[ImportFact] = []
        exports: list[tuple[str, str]] = []
        reexports: list[tuple[str, str, str]] = []
        stars: list[str] = []
        default_export: ValueRef | None = None
        bindings: list[tuple[str, ValueRef]] = []

        def declared_names(decl) -> list[str]:
            kind = decl.type
            if kind in ("lexical_declaration", "variable_declaration"):
                out = []
                for d in decl.named_children:
                    if d.type == "variable_declarator":
                        out.extend(name for name, _, _ in _declarator_bindings(d) or [])
                        n = d.child_by_field_name("name")
                        if n is not None and n.type == "identifier" and node_text(n) not in out:
                            out.append(node_text(n))
                return out
            n = decl.child_by_field_name("name")
            return [node_text(n)] if n is not None else []

        for stmt in self.root.named_children:
            kind = stmt.type
            if kind == "import_statement":
                source = string_value(stmt.child_by_field_name("source"))
                if not source:
                    continue
                for clause in stmt.named_children:
                    if clause.type == "import_require_clause":  # import x = require('y')
                        n = clause.named_children[0] if clause.named_children else None
                        if n is not None:
                            imports.append(ImportFact(node_text(n), source, "*"))
                    if clause.type != "import_clause":
                        continue
                    for part in clause.named_children:
                        if part.type == "identifier":
                            imports.append(ImportFact(node_text(part), source, "default"))
                        elif part.type == "namespace_import":
                            n = part.named_children[-1] if part.named_children else None
                            if n is not None:
                                imports.append(ImportFact(node_text(n), source, "*"))
                        elif part.type == "named_imports":
                            for spec in part.named_children:
                                if spec.type != "import_specifier":
                                    continue
                                name = spec.child_by_field_name("name")
                                alias = spec.child_by_field_name("alias")
                                if name is not None:
                                    imports.append(ImportFact(node_text(alias or name), source, node_text(name)))
            elif kind == "export_statement":
                source = string_value(stmt.child_by_field_name("source"))
                decl = stmt.child_by_field_name("declaration")
                value = stmt.child_by_field_name("value")
                clause = next((c for c in stmt.named_children if c.type == "export_clause"), None)
                is_default = any(c.type == "default" for c in stmt.children)
                if source and clause is None:
                    ns = next((c for c in stmt.named_children if c.type == "namespace_export"), None)
                    if ns is not None and ns.named_children:
                        reexports.append((node_text(ns.named_children[-1]), source, "*"))
                    else:
                        stars.append(source)
                elif clause is not None:
                    for spec in clause.named_children:
                        if spec.type != "export_specifier":
                            continue
                        name = spec.child_by_field_name("name")
                        alias = spec.child_by_field_name("alias")
                        if name is None:
                            continue
                        exported = node_text(alias or name)
                        if source:
                            reexports.append((exported, source, node_text(name)))
                        else:
                            exports.append((exported, node_text(name)))
                elif decl is not None:
                    names = declared_names(decl)
                    if is_default and names:
                        default_export = ValueRef("name", names[0])
                    for name in names:
                        exports.append((name, name))
                elif is_default and value is not None:
                    default_export = self._binding_ref(value, value_ref(value), fn_id_by_range, True, objects)
                elif is_default:
                    # `export default class X {}` / `export default function f() {}`
                    for c in stmt.named_children:
                        if c.type in CLASS_KINDS or c.type in FUNCTION_KINDS:
                            n = c.child_by_field_name("name")
                            if n is not None:
                                default_export = ValueRef("name", node_text(n))
                            elif c.type in FUNCTION_KINDS:
                                default_export = ValueRef("function", fn_id_by_range.get((c.start_byte, c.end_byte), ""))
            elif kind == "expression_statement" and stmt.named_children:
                self._commonjs_export(stmt.named_children[0], exports, bindings, fn_id_by_range, stars)
                expr = stmt.named_children[0]
                if expr.type == "assignment_expression":
                    left = member_path(expr.child_by_field_name("left"))
                    if left == ("module", "exports"):
                        right = unwrap(expr.child_by_field_name("right"))
                        if right is not None and right.type != "object":
                            ref = value_ref(right)
                            if right.type in ("arrow_function", "function_expression"):
                                ref = ValueRef("function", fn_id_by_range.get((right.start_byte, right.end_byte), ""))
                            if ref is not None:
                                default_export = ref
        return imports, exports, reexports, stars, default_export, bindings

    def _commonjs_export(self, expr, exports, bindings, fn_id_by_range, stars):
        """`module.exports = { a, b: c }`, `exports.a = a`, `module.exports.a = ...`."""
        if expr.type != "assignment_expression":
            return
        left = member_path(expr.child_by_field_name("left"))
        right = unwrap(expr.child_by_field_name("right"))
        if right is None:
            return
        if left == ("module", "exports") and right.type == "object":
            for prop in right.named_children:
                if prop.type == "shorthand_property_identifier":
                    exports.append((node_text(prop), node_text(prop)))
                elif prop.type == "pair":
                    key, value = prop.child_by_field_name("key"), unwrap(prop.child_by_field_name("value"))
                    if key is None or value is None:
                        continue
                    if value.type == "identifier":
                        exports.append((node_text(key), node_text(value)))
                    elif value.type in ("arrow_function", "function_expression"):
                        fid = fn_id_by_range.get((value.start_byte, value.end_byte), "")
                        local = f"<export:{node_text(key)}>"
                        bindings.append((local, ValueRef("function", fid)))
                        exports.append((node_text(key), local))
                elif prop.type == "method_definition":
                    n = prop.child_by_field_name("name")
                    fid = fn_id_by_range.get((prop.start_byte, prop.end_byte), "")
                    if n is not None:
                        local = f"<export:{node_text(n)}>"
                        bindings.append((local, ValueRef("function", fid)))
                        exports.append((node_text(n), local))
                elif prop.type == "spread_element" and prop.named_children:
                    ref = value_ref(prop.named_children[0])
                    if ref is not None and ref.kind == "require":
                        stars.append(ref.name)
        elif len(left) == 2 and left[0] == "exports" or len(left) == 3 and left[:2] == ("module", "exports"):
            name = left[-1]
            if right.type == "identifier":
                exports.append((name, node_text(right)))
            else:
                ref = value_ref(right)
                if right.type in ("arrow_function", "function_expression"):
                    ref = ValueRef("function", fn_id_by_range.get((right.start_byte, right.end_byte), ""))
                if ref is not None:
                    local = f"<export:{name}>"
                    bindings.append((local, ref))
                    exports.append((name, local))


def extract_facts(tree: tree_sitter.Tree, language: str) -> FileFacts:
    return _Builder(tree, language).build()
