"""Which statements read what earlier ones bound: enough data flow to tell
two awaited calls that could run together from a chain where each needs
what the one before returned."""

from __future__ import annotations

from perfaudit.server.analysis.parsing import node_text, walk

_BLOCKS = ("statement_block", "program", "switch_case")


def bound_names(pattern) -> set[str]:
    """The names a declaration's pattern binds (`user`, `{ id, name }`, `[a, b]`)."""
    if pattern is None:
        return set()
    return {node_text(n) for n in walk(pattern) if n.type in ("identifier", "shorthand_property_identifier_pattern")}


def uses_any(stmt, names: set[str]) -> bool:
    """Does the statement read one of `names` (also inside closures)?"""
    if not names:
        return False
    text = node_text(stmt)
    if not any(name in text for name in names):
        return False  # cheap: a name that is not in the text is not used
    return any(node_text(n) in names for n in walk(stmt) if n.type in ("identifier", "shorthand_property_identifier"))


def needs_result_of(earlier, later) -> bool | None:
    """Whether the statement of the call `later` reads what the statement of
    the call `earlier` bound (`const { fgId } = await a(); ... await b({ where:
    { fgId } })`), directly or through declarations in between. None when
    the two are not statements of one block in that order."""
    block = _common_block(earlier, later)
    if block is None:
        return None
    first, second = _child_holding(block, earlier), _child_holding(block, later)
    if first is None or second is None or first.start_byte >= second.start_byte:
        return None
    derived = _declared(first)
    for stmt in block.named_children:
        if first.end_byte <= stmt.start_byte and stmt.end_byte <= second.start_byte and uses_any(stmt, derived):
            derived |= _declared(stmt)
    return uses_any(second, derived)


def _declared(stmt) -> set[str]:
    if stmt.type not in ("lexical_declaration", "variable_declaration"):
        return set()
    names: set[str] = set()
    for decl in stmt.named_children:
        if decl.type == "variable_declarator":
            names |= bound_names(decl.child_by_field_name("name"))
    return names


def _common_block(a, b):
    ancestors = set()
    node = a.parent
    while node is not None:
        if node.type in _BLOCKS:
            ancestors.add(node.id)
        node = node.parent
    node = b.parent
    while node is not None:
        if node.type in _BLOCKS and node.id in ancestors:
            return node
        node = node.parent
    return None


def _child_holding(block, node):
    while node is not None and node.parent is not None and node.parent.id != block.id:
        node = node.parent
    return node if node is not None and node.parent is not None else None
