"""Block scopes: one name declared twice in one function is two bindings.

`const store = redis` in one branch and `const store = prisma` in the other
are different variables. Facts keep locals per function and the index looks
a name up by function, so such names are told apart here, once, by
position: each of the bindings gets its own name (`store@<offset>`), and
every use that sits in its scope (callee heads, identifiers passed as
arguments, other locals' values, in the function and in the functions
nested in it that do not bind the name themselves) is renamed with it. A
use outside all of them keeps the plain name: it means the outer binding.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from perfaudit.server.analysis.facts import CallFact, ValueRef

# Nodes that open a block scope for `const`, `let` and `class`.
BLOCK_KINDS = {"statement_block", "for_statement", "for_in_statement", "switch_body", "catch_clause"}


@dataclass(frozen=True)
class Place:
    """Where one local binding is declared and where it is visible."""

    start: int  # the declarator
    scope_start: int
    scope_end: int

    def sees(self, offset: int) -> bool:
        return self.scope_start <= offset < self.scope_end and self.start <= offset


def place_of(decl, function_node) -> Place:
    """A declarator's visibility: its innermost block for `const`/`let`, the function for `var`."""
    declaration = decl.parent
    fn_range = (function_node.start_byte, function_node.end_byte)
    if declaration is not None and declaration.type == "variable_declaration":
        return Place(decl.start_byte, *fn_range)
    node = declaration.parent if declaration is not None else None
    while node is not None and (node.start_byte, node.end_byte) != fn_range:
        if node.type in BLOCK_KINDS:
            return Place(decl.start_byte, node.start_byte, node.end_byte)
        node = node.parent
    return Place(decl.start_byte, *fn_range)


def separate(locals_by_fn: dict[str, list], places_by_fn: dict[str, list[Place]], calls_by_fn: dict[str, list[CallFact]],
             ranges: dict[str, tuple[int, int]], params) -> None:
    """Rename, in place, the bindings of a name declared in two scopes of
    one function, and their uses. `params(fid)`: a function's parameter names."""
    for fid in sorted(locals_by_fn):
        entries, places = locals_by_fn[fid], places_by_fn[fid]
        by_name: dict[str, list[int]] = {}
        for i, (name, _) in enumerate(entries):
            by_name.setdefault(name, []).append(i)
        for name, idx in sorted(by_name.items()):
            if len({(places[i].scope_start, places[i].scope_end) for i in idx}) < 2:
                continue  # one scope: one variable (a redeclared `var` is still one)
            bindings = [(places[i], f"{name}@{places[i].start}") for i in idx]
            for i, (place, unique) in zip(idx, bindings):
                entries[i] = (unique, entries[i][1])

            def rename(head: str, offset: int) -> str:
                seen = [(p.scope_end - p.scope_start, -p.start, unique) for p, unique in bindings if p.sees(offset)]
                return min(seen)[2] if seen else head

            for other in _sharing(fid, name, ranges, locals_by_fn, params):
                calls_by_fn[other] = [_renamed_call(c, name, rename) for c in calls_by_fn.get(other, ())]
                other_places = places_by_fn.get(other, [])
                locals_by_fn[other] = [
                    (local, _renamed_ref(ref, name, rename, other_places[i].start if i < len(other_places) else ranges[other][0]))
                    for i, (local, ref) in enumerate(locals_by_fn.get(other, ()))
                ]


def _sharing(fid: str, name: str, ranges, locals_by_fn, params) -> list[str]:
    """`fid` and the functions nested in it that see its bindings of `name`."""
    start, end = ranges[fid]
    out = [fid]
    for other, (s, e) in sorted(ranges.items(), key=lambda kv: kv[1]):
        if other == fid or not (start <= s and e <= end):
            continue
        own = {local.split("@")[0] for local, _ in locals_by_fn.get(other, ())}
        if name not in own and name not in params(other):
            out.append(other)
    return out


def _head(path: str) -> str:
    return path.split(".", 1)[0]


def _renamed_path(path: str, name: str, rename, offset: int) -> str:
    if _head(path) != name:
        return path
    return rename(name, offset) + path[len(name):]


def _renamed_call(call: CallFact, name: str, rename) -> CallFact:
    callee = call.callee
    if callee and callee[0] == name:
        callee = (rename(name, call.start),) + callee[1:]
    arg_names = tuple(_renamed_path(a, name, rename, call.start) if a else a for a in call.arg_names)
    if callee == call.callee and arg_names == call.arg_names:
        return call
    return dataclasses.replace(call, callee=callee, arg_names=arg_names)


def _renamed_ref(ref: ValueRef, name: str, rename, offset: int) -> ValueRef:
    if ref.kind not in ("name", "call") or _head(ref.name) != name:
        return ref
    return dataclasses.replace(ref, name=_renamed_path(ref.name, name, rename, offset))
