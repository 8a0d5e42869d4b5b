"""When a `findMany`'s `where` already bounds how many rows come back.

A unique field pinned to a value (or a list of values) returns that many
rows at most; so does a unique constraint whose columns are all pinned but
enum or Boolean ones, which return at most as many rows as those columns
have values (`@@unique([userId, channel])` with `where: { userId }`: one row
per channel).
"""

from __future__ import annotations

from perfaudit.server.analysis.objects import resolve_expression, resolve_object


def _pinned(conditions, key: str) -> bool:
    """Whether `where.<key>` is equality with one value or a list of them."""
    value = conditions.values.get(key)
    if value is None:
        return False
    if value.type == "shorthand_property_identifier":
        return True  # `where: { id }`
    target = resolve_expression(value)
    filt = resolve_object(target) if target is not None and target.type == "object" else None
    if filt is not None:
        return bool(filt.has("in") or filt.has("equals"))
    return target is None or target.type not in ("object", "array", "ternary_expression")


def _few_values(schema, model, name: str) -> bool:
    field = model.field(name)
    return field is not None and not field.is_list and (field.type == "Boolean" or schema.is_enum(field.type))


def _unique_keys(model) -> list[tuple[str, ...]]:
    keys = [(f.name,) for f in model.fields if f.is_id or f.is_unique]
    keys += [tuple(ix.fields) for ix in model.indexes if ix.kind in ("unique", "id")]
    return keys


def where_bounds_rows(conditions, model, schema) -> bool:
    """`conditions`: the resolved `where` object of a read of `model`."""
    if conditions is None:
        return False
    present = set(conditions.values)
    for key in _unique_keys(model):
        if not set(key) <= present | {c for c in key if _few_values(schema, model, c)}:
            continue
        pinned = [c for c in key if c in present and _pinned(conditions, c)]
        rest = [c for c in key if c not in pinned]
        if pinned and all(_few_values(schema, model, c) for c in rest):
            return True
    return False
