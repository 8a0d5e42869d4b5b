"""Module-level facts: imports, exports and re-exports (ES modules and
CommonJS), module-level bindings and calls. A part of the fact builder
(`extract.py`)."""

from __future__ import annotations


from perfaudit.server.analysis.facts import ImportFact, ValueRef
from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.analysis.syntax import (
    CLASS_KINDS,
    FUNCTION_KINDS,
    _declarator_bindings,
    member_path,
    string_value,
    unwrap,
    value_ref,
)


class ModuleFacts:
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
