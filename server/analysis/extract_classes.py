"""Class facts: a class's methods, its base class, and what its members hold
(field initialisers, constructor assignments, constructor parameter
properties through their type). A part of the fact builder (`extract.py`)."""

from __future__ import annotations


from perfaudit.server.analysis.facts import ClassFact, ValueRef
from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.analysis.syntax import (
    member_path,
    type_name,
    unwrap,
    value_ref,
)


class ClassFacts:
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
