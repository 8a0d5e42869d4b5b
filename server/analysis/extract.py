"""Extract a file's facts from its tree in one pass.

The pass is driven by a tree-sitter query, so the walk runs in C. Functions
and calls are read here; classes in `extract_classes.py`, module-level
imports, exports and bindings in `extract_module.py`.
"""

from __future__ import annotations

import sys

import tree_sitter

from perfaudit.server.analysis.checkpoint import checkpoint
from perfaudit.server.analysis.loops import ITERATING_METHODS
from perfaudit.server.analysis.extract_classes import ClassFacts
from perfaudit.server.analysis.extract_module import ModuleFacts
from perfaudit.server.analysis.facts import EXTRA_EXTRACTORS, CallFact, ClassFact, FileFacts, FunctionFact, ObjectFact, ValueRef
from perfaudit.server.analysis.parsing import node_text, nodes_by_kind, nodes_under, position_key
from perfaudit.server.analysis.scopes import Place, place_of, separate
from perfaudit.server.analysis.syntax import (
    CLASS_KINDS,
    FUNCTION_KINDS,
    _declarator_bindings,
    _shared,
    _through_type_arguments,
    awaited_from_outside,
    last_member,
    member_path,
    name_of,
    returned_type,
    type_name,
    unwrap,
    value_ref,
)


def _merged(nodes: dict[str, list], *kinds: str) -> list:
    if len(kinds) == 1:
        return nodes.get(kinds[0], [])
    return sorted((n for k in kinds for n in nodes.get(k, ())), key=position_key)


class _Builder(ClassFacts, ModuleFacts):
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
        nodes = nodes_by_kind(self.tree, self.language)
        function_facts, module_calls, bindings, objects, fn_id_by_range = self._functions(nodes)
        classes = _merged(nodes, "class_declaration", "abstract_class_declaration", "class")
        class_facts = [self._class_fact(c, fn_id_by_range) for c in classes]
        imports, exports, reexports, stars, default_export, more_bindings = self._module_level(fn_id_by_range, objects)
        bindings.extend(more_bindings)
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
            extras=extras_of(self.root, self.language),
        )

    def build_unit(self, unit) -> tuple[list[FunctionFact], list[ClassFact]] | None:
        """The facts of one function node and what it contains (see
        splice.py); None when the subtree adds module-level facts."""
        nodes = nodes_under(unit, self.language)
        function_facts, module_calls, bindings, objects, fn_id_by_range = self._functions(nodes)
        if module_calls or bindings or objects:
            return None
        classes = _merged(nodes, "class_declaration", "abstract_class_declaration", "class")
        class_facts = [self._class_fact(c, fn_id_by_range) for c in classes]
        return function_facts, [c for c in class_facts if c is not None]

    def _functions(self, nodes: dict[str, list]):
        """Functions with their calls, locals and returns; module-level calls,
        bindings and object literals; each function node's id by range."""
        functions = _merged(nodes, "function_declaration", "generator_function_declaration", "function_expression",
                            "arrow_function", "method_definition")
        calls = _merged(nodes, "call_expression", "new_expression")
        declarators = _merged(nodes, "variable_declarator")

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
            checkpoint()
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
        places_by_fn: dict[str, list[Place]] = {}
        node_by_fid = {fid: n for n, fid, *_ in fn_info}
        bindings: list[tuple[str, ValueRef]] = []
        objects: list[ObjectFact] = []
        for decl in declarators:
            checkpoint()
            owner = self._owner_function(decl, fn_id_by_range)
            for name, ref, value_node in _declarator_bindings(decl):
                ref = self._binding_ref(value_node, ref, fn_id_by_range, owner is None, objects)
                if ref is None:
                    continue
                if owner is None:
                    bindings.append((name, ref))
                else:
                    locals_by_fn.setdefault(owner, []).append(_shared((name, _shared(ref))))
                    places_by_fn.setdefault(owner, []).append(place_of(decl, node_by_fid[owner]))
        ranges = {fid: (n.start_byte, n.end_byte) for n, fid, *_ in fn_info}
        separate(locals_by_fn, places_by_fn, calls_by_fn, ranges, lambda fid: self._params(node_by_fid[fid])[0])

        returns_by_fn: dict[str, list] = {}
        for ret in _merged(nodes, "return_statement"):
            owner = self._owner_function(ret, fn_id_by_range)
            if owner is not None:
                value = next((c for c in ret.named_children if c.type != "comment"), None)
                returns_by_fn.setdefault(owner, []).append(value_ref(value) if value is not None else None)

        function_facts = []
        for node, fid, cls, parent_id, name in fn_info:
            checkpoint()
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
                    locals=_shared(tuple(locals_by_fn.get(fid, ()))),
                    returns=self._returns(node, body, params, returns_by_fn.get(fid)),
                )
            )

        return function_facts, module_calls, bindings, objects, fn_id_by_range

    def _binding_ref(self, value_node, ref, fn_id_by_range, module_level: bool, objects: list) -> ValueRef | None:
        """What a `const name = <value>` holds, beyond `value_ref`: a function
        (also one wrapped by `catchAsync(async (req, res) => ...)`-style
        helpers: calling the binding runs it), or a module-level object literal."""
        value_node = unwrap(value_node)
        if value_node is None:
            return ref
        if value_node.type in ("arrow_function", "function_expression", "function"):
            return ValueRef("function", fn_id_by_range.get((value_node.start_byte, value_node.end_byte), ""))
        if value_node.type == "call_expression" and _may_wrap(value_node):
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
                return _shared((node_text(single),)), _NO_TYPE
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
        return _shared(tuple(names)), _shared(tuple(types))

    def _returns(self, node, body, params, refs) -> ValueRef | None:
        """What calling the function gives, when syntax tells (FunctionFact.returns)."""
        if body is not None and body.type != "statement_block":
            # `() => new Client()`, and a factory with no parameters: `() => prisma`,
            # `() => getClient()`. `x => x.id` says nothing useful.
            ref = value_ref(body)
            wanted = ("new",) if params else ("new", "name", "call")
            return ref if ref is not None and ref.kind in wanted else None
        if refs and refs[0] is not None and refs[0].kind in ("new", "name", "call") and all(r == refs[0] for r in refs):
            return refs[0]
        declared = returned_type(node.child_by_field_name("return_type"))
        return ValueRef("type", declared) if declared else None

    def _call_fact(self, node, fn_id_by_range) -> CallFact | None:
        # What call_function, last_member and is_awaited find, each node read
        # once: extraction asks this of every call (13 us each).
        is_new = node.type == "new_expression"
        if is_new:
            fn, awaited = node.child_by_field_name("constructor"), False
        else:
            fn, awaited = _through_type_arguments(node.child_by_field_name("function"))
        if fn is None:
            return None
        args = node.child_by_field_name("arguments")
        target = unwrap(fn)
        callee = _shared(member_path(target, through_calls=True))
        if callee and target.type in ("member_expression", "identifier") and not callee[-1].endswith("()"):
            method = callee[-1]  # the property (or name) that last_member reads
        else:
            method = last_member(target)
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
        return CallFact.build(
            node.start_byte,
            node.end_byte,
            callee,
            method,
            awaited or awaited_from_outside(node),
            tuple(callbacks),
            # No names at all (the common case): one shared empty tuple.
            _shared(tuple(arg_names)) if any(arg_names) else (),
            is_new,
        )


_NO_TYPE = (None,)  # `x => ...`


def extras_of(root, language: str) -> tuple:
    """What feature modules extract from the whole tree (`register_extractor`)."""
    extras = []
    for key, extractor in EXTRA_EXTRACTORS:
        checkpoint()
        try:
            extras.append((key, extractor(root, language)))
        except Exception:  # a feature's extractor never breaks the file
            continue
    try:
        return _shared(tuple(extras))  # files that use no feature hold equal extras
    except TypeError:  # a value that cannot be hashed is kept as it is
        return tuple(extras)


def extract_facts(tree: tree_sitter.Tree, language: str) -> FileFacts:
    return _Builder(tree, language).build()


# Calls that take a function and return something else: the element
# `candidates.find(c => ...)` finds, a timer's id.
_NOT_WRAPPERS = {"setTimeout", "setInterval", "setImmediate", "queueMicrotask"}


def _may_wrap(call) -> bool:
    """Whether `const x = call(inlineFn)` may hold the function (a
    `catchAsync(async (req, res) => ...)` wrapper), rather than what an
    array method or a timer gives back."""
    fn = unwrap(call.child_by_field_name("function"))
    if fn is None:
        return False
    if fn.type == "identifier":
        return node_text(fn) not in _NOT_WRAPPERS
    prop = fn.child_by_field_name("property") if fn.type == "member_expression" else None
    return prop is None or node_text(prop) not in ITERATING_METHODS
