"""A file's facts after an edit inside one function's body, without
extracting the whole file again.

While the user types, each keystroke lands inside one function: the text
before it is unchanged, the text after it only moved. So the facts of that
function (and of what it contains) are extracted from the new tree, and
every other fact is the old one, moved by the edit's length: a function
id that carries an offset (`<anonymous@1234>`, `helper@1234`) moves too,
and so does every reference to it.

The result must equal a full extraction of the new tree
(`tests/test_splice.py` checks that over many edits); wherever that is not
certain, `splice_facts` returns None and the caller extracts the whole file:
an edit outside every function body, a syntax error outside the edited
function (error recovery may then read the rest differently), a tree whose
function no longer spans the edited text, an id that another function
could now take.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter

from perfaudit.server.analysis.extract import _Builder, extras_of
from perfaudit.server.analysis.facts import CallFact, ClassFact, FileFacts, FunctionFact, ObjectFact, ValueRef
from perfaudit.server.analysis.syntax import CLASS_KINDS, FUNCTION_KINDS


def edited_span(old: bytes, new: bytes) -> tuple[int, int, int] | None:
    """(start, old end, new end) of the one stretch that differs; None when
    the texts are equal."""
    if old == new:
        return None
    limit = min(len(old), len(new))
    start = _common_length(limit, lambda i, j: old[i:j] == new[i:j])
    tail = _common_length(limit - start, lambda i, j: old[len(old) - j:len(old) - i] == new[len(new) - j:len(new) - i])
    return start, len(old) - tail, len(new) - tail


def _common_length(limit: int, agree) -> int:
    """The longest n <= limit whose first n positions `agree(i, j)` over
    [i, j): a binary search over slice comparisons, which run in C."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if agree(lo, mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def error_span(tree: tree_sitter.Tree) -> tuple[int, int] | None:
    """The stretch that holds every syntax error of `tree` (None: none).
    Walks only into subtrees that hold an error."""
    root = tree.root_node
    if not root.has_error:
        return None
    start, end = None, None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            start = node.start_byte if start is None else min(start, node.start_byte)
            end = node.end_byte if end is None else max(end, node.end_byte)
            continue
        stack.extend(c for c in node.children if c.has_error)
    if start is None:  # flagged, yet no node says where: treat all of it as broken
        return 0, root.end_byte
    return start, end


@dataclass(frozen=True)
class Span:
    """An edit, in bytes of the text before it (`findings.shift` takes it)."""

    start: int
    old_end: int
    new_end: int


@dataclass(frozen=True)
class Spliced:
    facts: FileFacts
    unit: tree_sitter.Node  # the edited function, in the new tree
    old_range: tuple[int, int]  # its range in the old text
    edit: Span
    errors: tuple[int, int] | None  # what holds the new tree's syntax errors


def splice_facts(
    old: FileFacts,
    old_data: bytes,
    old_errors: tuple[int, int] | None,
    tree: tree_sitter.Tree,
    data: bytes,
    language: str,
    span: tuple[int, int, int] | None = None,
) -> Spliced | None:
    """The facts of `tree` (the parse of `data`, which differs from
    `old_data`), built from `old` (the facts of `old_data`, whose tree had
    its syntax errors within `old_errors`). `span`: `edited_span(old_data,
    data)`, when the caller has it."""
    span = span or edited_span(old_data, data)
    if span is None:
        return None
    start, old_end, new_end = span
    delta = new_end - old_end
    first = edited_function(old, start, old_end)
    if first is None:
        return None
    unit = old.functions[first]
    node = _node_of(tree.root_node, unit.start, unit.end + delta)
    if node is None:
        return None
    new_range = (unit.start, unit.end + delta)
    if not _within(old_errors, (unit.start, unit.end)) or _errors_outside(tree.root_node, new_range):
        return None
    builder = _Builder(tree, language)
    built = builder.build_unit(node)
    if built is None:
        return None
    inner_functions, inner_classes = built
    if not inner_functions or inner_functions[0].id != unit.id:
        return None
    move = _Mover(old, unit, delta)
    # In source order: those before the edited function as they are, its
    # own from its subtree, those after it moved.
    after = first + 1
    while after < len(old.functions) and old.functions[after].start < unit.end:
        after += 1
    before, moved = old.functions[:first], [move.function(f) for f in old.functions[after:]]
    if _ids_may_clash(before, inner_functions) or _ids_may_clash(moved, inner_functions):
        return None
    functions = (*before, *inner_functions, *moved)
    classes = _classes(old, unit, move, builder, node, functions, inner_classes)
    if classes is None:
        return None
    facts = FileFacts(
        functions=functions,
        classes=classes,
        imports=old.imports,
        exports=old.exports,
        reexports=old.reexports,
        star_exports=old.star_exports,
        default_export=move.ref(old.default_export),
        bindings=move.pairs(old.bindings),
        module_calls=tuple(move.call(c) for c in old.module_calls),
        objects=tuple(move.object(o) for o in old.objects),
        has_errors=tree.root_node.has_error,
        extras=extras_of(tree.root_node, language),
    )
    errors = new_range if tree.root_node.has_error else None
    return Spliced(facts, node, (unit.start, unit.end), Span(start, old_end, new_end), errors)


def edited_function(facts: FileFacts, start: int, old_end: int) -> int | None:
    """The index of the outermost function whose body strictly holds the
    edit: its header (name, parameters) and its closing brace are untouched."""
    for i, fn in enumerate(facts.functions):
        if fn.parent is None and fn.body_start < start and old_end < fn.end:
            return i
    return None


def _node_of(root, start: int, end: int):
    """The function node spanning exactly [start, end) in the new tree."""
    node = root.descendant_for_byte_range(start, end)
    while node is not None and node.start_byte == start and node.end_byte == end:
        if node.type in FUNCTION_KINDS:
            return node
        node = node.parent
    return None


def _errors_outside(root, inside: tuple[int, int]) -> bool:
    """Whether the tree has a syntax error outside `inside`: walks only into
    subtrees that hold an error, and not into `inside`."""
    stack = [root] if root.has_error else []
    while stack:
        node = stack.pop()
        if inside[0] <= node.start_byte and node.end_byte <= inside[1]:
            continue
        if node.is_error or node.is_missing:
            return True
        stack.extend(c for c in node.children if c.has_error)
    return False


def _within(span: tuple[int, int] | None, outer: tuple[int, int]) -> bool:
    return span is None or (outer[0] <= span[0] and span[1] <= outer[1])


_OFFSET_ID = re.compile(r"^(.*)@(\d+)>?$")


def _ids_may_clash(outside, inner: list[FunctionFact]) -> bool:
    """Whether a full extraction could name a function differently: ids are
    given in source order, and a name taken twice gets `@offset` the second
    time, so a name used both inside the edited function (by a function
    nested in it: its own id is the old one) and outside makes the order
    matter."""
    named = {_base(f.id) for f in inner[1:] if not f.id.startswith("<anonymous@")}
    return bool(named) and any(_base(f.id) in named for f in outside)


def _base(fid: str) -> str:
    match = _OFFSET_ID.match(fid)
    return match.group(1) if match and not fid.startswith("<") else fid


def _classes(old: FileFacts, unit: FunctionFact, move: "_Mover", builder: _Builder, node, functions,
             inner_classes) -> tuple | None:
    """Classes: those inside the edited function from its subtree, the one
    holding it moved, or read again when the edited function is its
    constructor (which says what its members hold); the others moved."""
    out: list[ClassFact] = []
    for cls in old.classes:
        if unit.start <= cls.start and cls.end <= unit.end:
            continue  # inside the edited function: read from its subtree
        if cls.start <= unit.start and unit.end <= cls.end and unit.id == f"{cls.name}.constructor":
            holder = _ancestor(node, cls.start, cls.end + move.delta)
            fact = builder._class_fact(holder, {(f.start, f.end): f.id for f in functions}) if holder else None
            if fact is None:
                return None
            out.append(fact)
        else:
            out.append(move.klass(cls))
    out.extend(inner_classes)
    out.sort(key=lambda c: (c.start, -c.end))
    return tuple(out)


def _ancestor(node, start: int, end: int):
    parent = node.parent
    while parent is not None:
        if parent.type in CLASS_KINDS and parent.start_byte == start and parent.end_byte == end:
            return parent
        parent = parent.parent
    return None


class _Mover:
    """Moves facts after the edited function by the edit's length, and the
    ids that carry their offsets with them. Facts before it stay as they
    are: what a function names by id (its parent, its callbacks, inline
    functions held by its locals) lies within it or around it, never after."""

    def __init__(self, old: FileFacts, unit: FunctionFact, delta: int):
        self.after = unit.end  # old offsets at or past this move
        self.delta = delta
        self.ids: dict[str, str] = {}
        if delta:
            for fn in old.functions:
                if "@" in fn.id and fn.start >= self.after:
                    self._map_id(fn.id)
            for obj in old.objects:
                self._map_id(obj.id)

    def _map_id(self, fid: str) -> None:
        match = _OFFSET_ID.match(fid)
        if match and int(match.group(2)) >= self.after:
            head, tail = fid[: match.start(2)], fid[match.end(2):]
            self.ids[fid] = f"{head}{int(match.group(2)) + self.delta}{tail}"

    def at(self, offset: int) -> int:
        return offset + self.delta if offset >= self.after else offset

    def fid(self, fid: str | None) -> str | None:
        return self.ids.get(fid, fid) if fid is not None else None

    def ref(self, ref: ValueRef | None) -> ValueRef | None:
        if ref is None or ref.kind not in ("function", "object") or ref.name not in self.ids:
            return ref
        return ValueRef(ref.kind, self.ids[ref.name], ref.member)

    def call(self, call: CallFact) -> CallFact:
        # A module-level call can hold the edited function (`app.use((req,
        # res) => {...})`): its end moves, its start does not.
        start, end = self.at(call.start), self.at(call.end)
        moved = call.callbacks and any(f in self.ids for _, f in call.callbacks)
        if start == call.start and end == call.end and not moved:
            return call
        callbacks = tuple([(i, self.fid(f)) for i, f in call.callbacks]) if moved else call.callbacks
        return CallFact(start, end, call.callee, call.method, call.awaited, callbacks, call.arg_names, call.is_new)

    def function(self, fn: FunctionFact) -> FunctionFact:
        if fn.start < self.after or not self.delta:
            return fn
        d, ids, ref, call = self.delta, self.ids, self.ref, CallFact.build
        calls = tuple([call(c.start + d, c.end + d, c.callee, c.method, c.awaited,
                            tuple([(i, ids.get(f, f)) for i, f in c.callbacks]) if c.callbacks else (),
                            c.arg_names, c.is_new) for c in fn.calls])
        locals_ = tuple([(name, ref(r)) for name, r in fn.locals]) if ids else fn.locals
        parent = ids.get(fn.parent, fn.parent) if fn.parent is not None else None
        return FunctionFact.build(ids.get(fn.id, fn.id), fn.name, fn.class_name, fn.start + d, fn.end + d,
                                  fn.body_start + d, fn.params, fn.param_types, parent, fn.is_async, calls, locals_,
                                  ref(fn.returns))

    def pairs(self, pairs: tuple) -> tuple:
        if not self.ids:
            return pairs
        moved = tuple([(name, self.ref(ref)) for name, ref in pairs])
        return pairs if all(a[1] is b[1] for a, b in zip(moved, pairs)) else moved

    def klass(self, cls: ClassFact) -> ClassFact:
        if cls.end < self.after or not self.delta:
            return cls
        methods = tuple([(name, self.fid(f)) for name, f in cls.methods]) if self.ids else cls.methods
        return ClassFact(cls.name, cls.extends, self.at(cls.start), self.at(cls.end), methods, self.pairs(cls.members))

    def object(self, obj: ObjectFact) -> ObjectFact:
        members = self.pairs(obj.members)
        if members is obj.members and obj.id not in self.ids:
            return obj
        return ObjectFact(self.fid(obj.id), members)
