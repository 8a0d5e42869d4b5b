"""The index advisor: how the code filters and sorts, against the schema's indexes.

For each Prisma query site it reads the model and the fields of `where`
(equality, `in`, ranges, patterns, `not`, nested `AND`/`OR`/`NOT`, relation
filters `some`/`every`/`none`/`is`/`isNot` on the related model's fields),
`orderBy` (object and array forms), `cursor` and `distinct`, through the
variables, spreads and helper returns `objects.py` resolves. From that it
derives *needs*: one conjunctive access path each (equality fields, then one
range or sort field), which is what one B-tree index serves under
PostgreSQL's leftmost-prefix rule.

What it cannot see it does not guess: a `where` with an unknown spread or
computed key gives no need (an unseen `id` would make it a lookup), a
`{ [sort]: order }` orderBy gives no sort field.

Per-file site usages are memoised per workspace on the file's bytes and the
schema's *structure* (models, fields, relations; not its indexes), so an edit
to a TypeScript file re-reads that file only, and adding an index to the
schema re-reads none: only the cheap coverage step runs again.
"""

from __future__ import annotations

import weakref

from perfaudit.server.analysis.checkpoint import checkpoint
from perfaudit.server.analysis.roles import report_everywhere, serves_requests
from dataclasses import dataclass, field

from perfaudit.server.prisma.queries import prisma_query
from perfaudit.server.analysis.syntax import call_function, unwrap
from perfaudit.server.analysis.objects import ResolvedObject, call_arguments, resolve_object
from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.prisma.calls import find_node
from perfaudit.server.prisma.schemas import schemas
from perfaudit.server.prisma.ties import tied_calls

# Operations that read many rows (or a row found by scanning): they weigh
# more than unique lookups when counting how often a field is filtered.
SCAN_OPS = {
    "findMany", "findFirst", "findFirstOrThrow", "count", "aggregate", "groupBy",
    "updateMany", "updateManyAndReturn", "deleteMany",
}
SORTED_OPS = {"findMany", "findFirst", "findFirstOrThrow"}
NO_WHERE_OPS = {"create", "createMany", "createManyAndReturn"}
SCAN_WEIGHT = 1.0
LOOKUP_WEIGHT = 0.5
MAX_BRANCHES = 16  # an OR of ORs beyond this is not worth modelling
UNINDEXABLE_TYPES = {"Json", "Bytes"}

EQ, RANGE, PATTERN, NOT, OTHER, SORT, CURSOR, DISTINCT = (
    "equality", "range", "pattern", "not", "other", "sort", "cursor", "distinct")

MIGRATE_COMMAND = "npx prisma migrate dev --name add_performance_indexes"
MIGRATE_HINT = (
    "Then create the migration: `npx prisma migrate dev --name add_performance_indexes`. "
    "On a large table, edit the generated migration to `CREATE INDEX CONCURRENTLY` "
    "(and drop the transaction) so writes are not blocked while it builds."
)


# ---------------------------------------------------------------- the usage model


@dataclass(frozen=True)
class FieldUse:
    model: str
    field: str
    kind: str  # EQ, RANGE, PATTERN, NOT, OTHER, SORT, CURSOR, DISTINCT


@dataclass(frozen=True)
class Requirement:
    """One access path a query needs on one model: equality fields, then one
    range or sort field. `columns` is the index that would serve it."""

    model: str
    eq: tuple[str, ...]
    slot: str | None
    columns: tuple[str, ...]
    anchor: str  # "where" or "orderBy": the key a finding points at
    slot_is_range: bool = False
    # How each field is compared ("eq", "null", "in", "range:gte,lt"): the
    # SQL shape the planner is asked about; not part of the access path.
    ops: tuple[tuple[str, str], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class SiteUsage:
    path: str
    start: int  # the call
    callee_end: int
    op: str
    model: str
    anchors: tuple[tuple[str, int, int], ...]  # (key, start, end) of `where`/`orderBy`
    uses: tuple[FieldUse, ...]
    requirements: tuple[Requirement, ...]
    opaque: bool  # the `where` could not be seen
    limited: bool = False  # `take`, `cursor` or findFirst: the read stops early
    sort: tuple[tuple[str, str], ...] = ()  # (field, "asc" | "desc") of a seen orderBy
    # (model, foreign key) the query reads rows through: relations loaded or
    # counted from the referenced side (`include: { posts: true }` on User),
    # and filters through a relation from the referring side
    # (`where: { author: { email } }` on Post).
    joins: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def weight(self) -> float:
        return SCAN_WEIGHT if self.op in SCAN_OPS else LOOKUP_WEIGHT

    def anchor(self, key: str) -> tuple[int, int]:
        for k, s, e in self.anchors:
            if k == key:
                return s, e
        for k, s, e in self.anchors:
            return s, e
        return self.start, self.callee_end


@dataclass(frozen=True)
class _Branch:
    eq: tuple[str, ...] = ()
    ranges: tuple[str, ...] = ()
    # Equality fields that split a table in two at best (a Boolean flag,
    # `deletedAt: null`): on their own they are no reason for an index.
    flags: tuple[str, ...] = ()
    ops: tuple[tuple[str, str], ...] = ()

    def merge(self, other: "_Branch") -> "_Branch":
        return _Branch(_dedupe(self.eq + other.eq), _dedupe(self.ranges + other.ranges),
                       _dedupe(self.flags + other.flags), _dedupe(self.ops + other.ops))


def _dedupe(items) -> tuple:
    return tuple(dict.fromkeys(items))


def _cross(left: list[_Branch], right: list[_Branch]) -> list[_Branch]:
    return [a.merge(b) for a in left for b in right]


def _array_items(node) -> list | None:
    """Elements of an array value (or a single object), None when unseen."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "array":
        return [c for c in node.named_children if c.type != "comment"]
    return [node]


def _comparison(value, kind: str) -> str:
    """How an equality or range value reads in SQL: "eq", "null", "in", "range:gte,lt"."""
    node = unwrap(value)
    obj = resolve_object(value) if node is not None else None
    if kind == EQ:
        if node is not None and node.type == "null":
            return "null"
        if obj is not None and "in" in obj.values:
            return "in"
        return "eq"
    keys = [k for k in ("gt", "gte", "lt", "lte") if obj is not None and k in obj.values]
    return "range:" + ",".join(keys or ["gte"])


def _classify(value) -> str:
    """How a where value filters its field."""
    node = unwrap(value)
    if node is not None and node.type == "undefined":
        return OTHER  # Prisma ignores `undefined`
    obj = resolve_object(value) if node is not None else None
    if obj is None:
        return EQ  # a scalar (literal, parameter, member): equality
    keys = set(obj.values) - {"mode"}
    if keys & {"equals", "in"}:
        return EQ
    if keys & {"lt", "lte", "gt", "gte"}:
        return RANGE
    if keys & {"startsWith", "contains", "endsWith", "search"}:
        return PATTERN
    if keys & {"not", "notIn"}:
        return NOT
    return OTHER if obj.complete else RANGE


class _Reader:
    """Reads one query site's arguments into uses and requirements."""

    def __init__(self, schema):
        self.schema = schema
        self.uses: list[FieldUse] = []
        self.sort: list[tuple[str, str]] = []
        self.related: list[tuple[str, _Branch]] = []  # (model, branch) from relation filters
        self.joins: list[tuple[str, tuple[str, ...]]] = []  # SiteUsage.joins

    def where(self, value, model, depth: int = 0) -> list[_Branch] | None:
        """The disjunction of conjunctions a where expresses; None when opaque."""
        if depth > 8:
            return None
        obj = resolve_object(value)
        if obj is None or not obj.complete:
            return None
        branches = [_Branch()]
        for key, val in obj.values.items():
            if key == "AND":
                for item in _array_items(val) or ():
                    sub = self.where(item, model, depth + 1)
                    if sub is None:
                        return None
                    branches = _cross(branches, sub)
            elif key == "OR":
                alternatives: list[_Branch] | None = []
                for item in _array_items(val) or ():
                    sub = self.where(item, model, depth + 1)
                    if sub is None:
                        alternatives = None  # an unseen alternative: keep the rest
                        break
                    alternatives.extend(sub)
                if alternatives:
                    branches = _cross(branches, alternatives)
            elif key == "NOT":
                for item in _array_items(val) or ():
                    sub = self.where(item, model, depth + 1)
                    for b in sub or ():
                        self.uses.extend(FieldUse(model.name, f, NOT) for f in b.eq + b.ranges)
            else:
                branches = _cross(branches, [self._field(key, val, model, depth)])
            if len(branches) > MAX_BRANCHES:
                return None
        return branches

    def _field(self, key: str, val, model, depth: int) -> _Branch:
        f = model.field(key)
        if f is None:
            return self._compound_unique(val, model)
        if self.schema.is_model(f.type):
            self._relation(f, val, model, depth)
            return _Branch()
        kind = _classify(val)
        if f.is_list or f.type in UNINDEXABLE_TYPES or f.type.startswith("Unsupported"):
            kind = OTHER  # arrays and JSON want GIN indexes, not B-tree
        self.uses.append(FieldUse(model.name, key, kind))
        if kind == EQ:
            node = unwrap(val)
            flag = f.type == "Boolean" or (node is not None and node.type == "null")
            return _Branch(eq=(key,), flags=(key,) if flag else (), ops=((key, _comparison(val, kind)),))
        if kind == RANGE:
            return _Branch(ranges=(key,), ops=((key, _comparison(val, kind)),))
        return _Branch()

    def _compound_unique(self, val, model) -> _Branch:
        """`userId_postId: { userId, postId }`: equality on each part."""
        obj = resolve_object(val)
        if obj is None or not obj.values or not all(model.field(k) for k in obj.values):
            return _Branch()
        for k in obj.values:
            self.uses.append(FieldUse(model.name, k, EQ))
        return _Branch(eq=tuple(obj.values))

    def _back_reference(self, f, model, related) -> tuple[str, ...]:
        """The foreign key on `related` that points back at `model` through `f`."""
        for other in related.fields:
            if other.type == model.name and other.relation_fields and other is not f:
                if other.relation_name == f.relation_name:
                    return other.relation_fields
        return ()

    def _relation(self, f, val, model, depth: int) -> None:
        related = self.schema.models.get(f.type)
        obj = resolve_object(val)
        if related is None or obj is None or not obj.complete:
            return
        if f.is_list:
            fk = self._back_reference(f, model, related)
            if not fk:
                return  # implicit many-to-many: a join table Prisma owns
            for op in ("some", "none", "every"):
                if op not in obj.values:
                    continue
                inner = [_Branch()] if op == "every" else self.where(obj.values[op], related, depth + 1)
                for b in inner or [_Branch()]:
                    self.related.append((related.name, _Branch(fk).merge(b)))
            return
        if set(obj.values) <= {"is", "isNot"}:
            inner_value = obj.values.get("is")
            if inner_value is None or unwrap(inner_value).type == "null":
                return
        else:
            inner_value = val  # `author: { email }` is shorthand for `is`
        inner = self.where(inner_value, related, depth + 1)
        if inner is None:
            return
        if f.relation_fields:  # `comment.findMany({ where: { article: { slug } } })` joins through Comment's key
            self.joins.append((model.name, f.relation_fields))
        fk = () if f.relation_fields else self._back_reference(f, model, related)
        for b in inner:
            self.related.append((related.name, _Branch(fk).merge(b)))

    def loads(self, args, model, depth: int = 0) -> None:
        """The relations `include`/`select` (and their `_count`) read from the
        referenced side, nested ones too (SiteUsage.joins)."""
        if args is None or depth > 8:
            return
        for key in ("include", "select"):
            value = args.values.get(key)
            chosen = resolve_object(value) if value is not None else None
            for name, val in (chosen.values.items() if chosen is not None else ()):
                node = unwrap(val)
                if node is None or node.type == "false":
                    continue
                if name == "_count":  # `_count: { select: { posts: true } }`
                    counted = resolve_object(val) if node.type == "object" else None
                    select = counted.values.get("select") if counted is not None else None
                    if select is not None:
                        self.loads(ResolvedObject({"select": select}), model, depth + 1)
                    continue
                f = model.field(name)
                related = self.schema.models.get(f.type) if f is not None else None
                if related is None:
                    continue
                if not f.relation_fields:  # the referenced side: the key is on `related`
                    fk = self._back_reference(f, model, related)
                    if fk:
                        self.joins.append((related.name, fk))
                if node.type == "object":
                    self.loads(resolve_object(val), related, depth + 1)

    def order_by(self, value, model) -> tuple[str, ...]:
        """Sort fields in order; stops at the first one it cannot see."""
        out: list[str] = []
        for item in _array_items(value) or ():
            obj = resolve_object(item)
            if obj is None or not obj.complete:
                break
            for key in obj.values:
                f = model.field(key)
                if f is None or self.schema.is_model(f.type) or f.is_list:
                    return tuple(out)  # relation or aggregate ordering
                out.append(key)
                self.uses.append(FieldUse(model.name, key, SORT))
                self.sort.append((key, "desc" if "desc" in node_text(unwrap(obj.values[key]) or item) else "asc"))
        return tuple(out)

    def note_keys(self, value, model, kind: str) -> None:
        """`cursor: { id }` / `distinct: ['userId']`: recorded for hover only."""
        node = unwrap(value)
        if node is not None and node.type == "array":
            names = [node_text(c).strip("'\"`") for c in node.named_children if c.type == "string"]
        else:
            obj = resolve_object(value)
            names = list(obj.values) if obj is not None else []
        if node is not None and node.type == "string":
            names = [node_text(node).strip("'\"`")]
        for name in names:
            if model.field(name) is not None:
                self.uses.append(FieldUse(model.name, name, kind))


def _is_lookup(model, eq: tuple[str, ...]) -> bool:
    """Equality on every column of an @id/@unique: at most one row."""
    eqs = set(eq)
    return any(ix.kind in ("id", "unique") and ix.fields and set(ix.fields) <= eqs for ix in model.indexes)


def _requirement(model, branch: _Branch, sort: tuple[str, ...], anchor_where: bool) -> Requirement | None:
    eq = branch.eq
    if _is_lookup(model, eq):
        return None
    if branch.ranges:
        slot, tail, slot_is_range = branch.ranges[0], (), True
    elif sort:
        slot, tail, slot_is_range = sort[0], sort[1:], False
    else:
        slot, tail, slot_is_range = None, (), False
    if slot in eq:
        slot, tail = None, ()
    if not eq and slot is None:
        return None
    if slot is None and set(eq) <= set(branch.flags):
        return None  # `where: { published: true }` alone: an index would not narrow it enough to be used
    columns = _dedupe(eq + ((slot,) if slot else ()) + tuple(c for c in tail if c not in eq))
    anchor = "where" if (eq or slot_is_range) and anchor_where else "orderBy"
    return Requirement(model.name, eq, slot, columns, anchor, slot_is_range,
                       tuple(o for o in branch.ops if o[0] in columns))


def _key_range(value) -> tuple[int, int] | None:
    """The key of the property holding `value` (`where` in `{ where: ... }`)."""
    if value is None:
        return None
    if value.type == "shorthand_property_identifier":
        return value.start_byte, value.end_byte
    parent = value.parent
    if parent is not None and parent.type == "pair":
        key = parent.child_by_field_name("key")
        if key is not None:
            return key.start_byte, key.end_byte
    return None


def read_site(path: str, node, op: str, model, schema) -> SiteUsage:
    """The usage of one query call on `model`."""
    fn = call_function(node)
    callee_end = fn.end_byte if fn is not None else node.end_byte
    args = resolve_object(call_arguments(node)[0]) if call_arguments(node) else ResolvedObject()
    reader = _Reader(schema)
    anchors: list[tuple[str, int, int]] = []
    requirements: list[Requirement] = []
    reader.loads(args, model)
    if args is None or op in NO_WHERE_OPS:
        return SiteUsage(path, node.start_byte, callee_end, op, model.name, (), (), (), args is None,
                         joins=tuple(dict.fromkeys(reader.joins)))
    for key in ("where", "orderBy"):
        rng = _key_range(args.values.get(key))
        if rng is not None:
            anchors.append((key, *rng))
    has_where = "where" in args.values
    branches = reader.where(args.values["where"], model) if has_where else [_Branch()]
    opaque = branches is None or (not has_where and not args.complete)
    sort: tuple[str, ...] = ()
    if "orderBy" in args.values:
        sort = reader.order_by(args.values["orderBy"], model)
    # A sort helps only when the query stops early (take, cursor, findFirst).
    limited = op in ("findFirst", "findFirstOrThrow") or "take" in args.values or "cursor" in args.values
    if op not in SORTED_OPS or not limited:
        sort = ()
    for key, kind in (("cursor", CURSOR), ("distinct", DISTINCT)):
        if key in args.values:
            reader.note_keys(args.values[key], model, kind)
    if not opaque:
        for b in branches:
            req = _requirement(model, b, sort, has_where)
            if req is not None:
                requirements.append(req)
        for model_name, b in reader.related:
            related = schema.models.get(model_name)
            req = _requirement(related, b, (), True) if related is not None else None
            if req is not None:
                requirements.append(req)
    return SiteUsage(path, node.start_byte, callee_end, op, model.name, tuple(anchors),
                     tuple(dict.fromkeys(reader.uses)), tuple(dict.fromkeys(requirements)), opaque,
                     limited, tuple(reader.sort), tuple(dict.fromkeys(reader.joins)))


def file_sites(source, schema, ties: frozenset | None = None) -> tuple[SiteUsage, ...]:
    """The Prisma query sites of one source file read against `schema`
    (with `ties`: only the calls at those (start, end) ranges)."""
    facts = source.facts
    calls = facts.all_calls
    candidates = []
    for call in calls:
        if call.is_new or not call.callee or ties is not None and (call.start, call.end) not in ties:
            continue
        query = prisma_query(call.callee, schema)
        if query is not None and query[0]:
            candidates.append((call, query))
    if not candidates:
        return ()
    out = []
    with source.tree_for_now() as tree:
        for call, (model_name, op) in sorted(candidates, key=lambda c: c[0].start):
            node = find_node(tree, call.start, call.end)
            model = schema.models.get(model_name)
            if node is None or model is None:
                continue
            out.append(read_site(source.path, node, op, model, schema))
    return tuple(out)


# ---------------------------------------------------------------- coverage


@dataclass
class Need:
    """One requirement aggregated over the query sites that have it."""

    model: str
    columns: tuple[str, ...]
    eq: frozenset
    slot: str | None
    slot_is_range: bool
    sites: list[tuple[SiteUsage, str]] = field(default_factory=list)  # (site, anchor key)
    coverage: str = "none"  # "full", "partial", "none"
    served_by: object = None  # the IndexDef that serves it (fully or partly)

    @property
    def weight(self) -> float:
        seen = {}
        for site, _ in self.sites:
            seen[(site.path, site.start)] = site.weight
        return sum(seen.values())

    @property
    def sort_unserved(self) -> bool:
        """An index serves the equality filter but does not continue with
        the sort field (`(a, c)` for `where: { a }, orderBy: { b }`):
        PostgreSQL reads every matching row and sorts them before `take`."""
        ix = self.served_by
        n = len(self.eq)
        return (self.coverage == "partial" and self.slot is not None and not self.slot_is_range and n > 0
                and ix is not None and len(ix.fields) >= n and set(ix.fields[:n]) == self.eq)


def coverage(model, eq: frozenset, slot: str | None, slot_is_range: bool):
    """("full" | "partial" | "none", index). Full: the index's leading columns
    are the equality fields, then the range/sort field. Partial: it starts
    with one of them, so PostgreSQL reads an index range, not the table."""
    partial = None
    n = len(eq)
    for ix in model.indexes:
        cols = ix.fields
        if ix.kind not in ("id", "unique", "index") or not cols:
            continue
        hash_only = ix.kind == "index" and _is_hash(model, ix)
        if set(cols[:n]) == eq and len(cols) >= n:
            if slot is None or (not hash_only and len(cols) > n and cols[n] == slot):
                return "full", ix
        if partial is None and (cols[0] in eq or (slot_is_range and cols[0] == slot)):
            partial = ix
    return ("partial", partial) if partial is not None else ("none", None)


def _is_hash(model, ix) -> bool:
    """`@@index([a], type: Hash)` serves equality only (IndexDef keeps no type)."""
    for a in model.block_attributes:
        if a.start == ix.start:
            return (a.named_arg("type") or "").strip() == "Hash"
    return False


@dataclass
class ModelUsage:
    model: object  # schema Model
    sites: list[SiteUsage] = field(default_factory=list)
    needs: list[Need] = field(default_factory=list)

    def unindexed(self, min_sites: float = 1) -> list[Need]:
        return [n for n in self.needs if n.coverage == "none" and n.weight >= min_sites]

    def unsorted(self, min_sites: float = 1) -> list[Need]:
        """Needs whose filter an index serves but whose sort it does not."""
        return [n for n in self.needs if n.sort_unserved and n.weight >= min_sites]


@dataclass
class SchemaUsage:
    schema: object
    models: dict[str, ModelUsage]


def aggregate(schema, sites: list[SiteUsage]) -> SchemaUsage:
    models: dict[str, ModelUsage] = {name: ModelUsage(m) for name, m in schema.models.items()}
    needs: dict[tuple, Need] = {}
    listed: set[tuple[str, str, int]] = set()  # (model, path, call start): a set, not a scan of each list
    for site in sites:
        touched = {site.model} | {r.model for r in site.requirements}
        for name in touched:
            if name in models and (name, site.path, site.start) not in listed:
                listed.add((name, site.path, site.start))
                models[name].sites.append(site)
        for req in site.requirements:
            if req.model not in models:
                continue
            key = (req.model, frozenset(req.eq), req.slot, req.columns[len(req.eq) + (1 if req.slot else 0):])
            need = needs.get(key)
            if need is None:
                need = needs[key] = Need(req.model, req.columns, frozenset(req.eq), req.slot, req.slot_is_range)
                models[req.model].needs.append(need)
            need.sites.append((site, req.anchor))
    for usage in models.values():
        for need in usage.needs:
            need.coverage, need.served_by = coverage(usage.model, need.eq, need.slot, need.slot_is_range)
    return SchemaUsage(schema, models)


# ---------------------------------------------------------------- the cache


def _structure(schema) -> tuple:
    """What site reading depends on: models, fields, relations (not indexes)."""
    return tuple(
        (m.name, tuple((f.name, f.type, f.is_list, f.relation_fields, f.relation_name) for f in m.fields),
         tuple(ix.fields for ix in m.indexes if ix.kind in ("id", "unique")))
        for m in schema.models.values()
    )


class Advisor:
    """Per-workspace memo of site usages and their aggregation."""

    def __init__(self, ws):
        self._ws = weakref.ref(ws)
        # (path, schema root) -> (source data, schema structure, calls tied to the schema, sites)
        self._sites: dict[tuple[str, str], tuple[bytes, tuple, frozenset, tuple[SiteUsage, ...]]] = {}
        self._structures: dict[int, tuple[object, tuple]] = {}
        self._aggregates: dict[str, tuple[tuple, SchemaUsage]] = {}
        # id of an adopted structure -> (it, this process's equal one)
        self._adopted: dict[int, tuple[tuple, tuple]] = {}

    def _structure_of(self, schema) -> tuple:
        held = self._structures.get(id(schema))
        if held is None or held[0] is not schema:
            held = (schema, _structure(schema))
            self._structures[id(schema)] = held
        return held[1]

    def sites_of(self, path: str, schema) -> tuple[SiteUsage, ...]:
        ws = self._ws()
        source = ws.files.get(path) if ws is not None else None
        if source is None or schema is None:
            return ()
        structure = self._structure_of(schema)
        ties = tied_calls(ws, path, schema)
        held = self._sites.get((path, schema.root))
        text = source.text_key()
        if held is not None and (held[0] is text or held[0] == text) and held[1] == structure and held[2] == ties:
            return held[3]
        try:
            sites = file_sites(source, schema, ties) if ties is None or ties else ()
        except Exception:  # half-typed code: that file contributes nothing
            sites = ()
        self._sites[(path, schema.root)] = (text, structure, ties, sites)
        return sites

    # The per-file checks read each file's sites while its tree is open
    # (P105's FILE_MEMO), so `usage` parses nothing again.

    def fill(self, path: str) -> None:
        ws = self._ws()
        if ws is not None and (report_everywhere(ws) or serves_requests(ws, path)):
            for schema in schemas(ws):
                self.sites_of(path, schema)

    def export(self, path: str) -> dict | None:
        """schema root -> (structure, ties, sites) held for `path`."""
        ws = self._ws()
        out = {}
        for schema in schemas(ws) if ws is not None else ():
            held = self._sites.get((path, schema.root))
            if held is not None:
                out[schema.root] = held[1:]
        return out or None

    def adopt(self, path: str, value: dict) -> None:
        ws = self._ws()
        source = ws.files.get(path) if ws is not None else None
        if source is None:
            return
        for root, (structure, ties, sites) in value.items():
            self._sites[(path, root)] = (source.text_key(), self._canonical(structure), ties, sites)

    def _canonical(self, structure: tuple) -> tuple:
        """This process's own equal structure, so the check in `sites_of` is
        an identity test, not a walk of every model for every file. The
        files of one worker's result (or of the cache) share one unpickled
        structure: it is compared once."""
        held = self._adopted.get(id(structure))
        if held is None or held[0] is not structure:
            own = next((s for s in map(self._structure_of, schemas(self._ws())) if s == structure), structure)
            held = self._adopted[id(structure)] = (structure, own)
        return held[1]

    def usage(self, schema) -> SchemaUsage:
        """Query usage per model of one schema, over the files that use it."""
        ws = self._ws()
        sites: list[SiteUsage] = []
        parts = []
        live = set(ws.files)
        for key in [k for k in self._sites if k[0] not in live]:
            del self._sites[key]
        everywhere = report_everywhere(ws)
        for path in sorted(ws.files):
            # Index advice weighs what requests run: a test's or a seed's
            # query is not a reason for an index.
            if not (everywhere or serves_requests(ws, path)):
                continue
            checkpoint()  # a file's sites may need its parse: an edit may go first (they are kept)
            file_usage = self.sites_of(path, schema)
            if not file_usage:
                continue
            parts.append(id(file_usage))
            sites.extend(file_usage)
        key = (id(schema), tuple(parts))
        held = self._aggregates.get(schema.root)
        if held is not None and held[0] == key and held[1].schema is schema:
            return held[1]
        result = aggregate(schema, sites)
        self._aggregates[schema.root] = (key, result)
        return result


_ADVISORS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def advisor_for(ws) -> Advisor:
    advisor = _ADVISORS.get(ws)
    if advisor is None:
        advisor = _ADVISORS[ws] = Advisor(ws)
    return advisor


def fill_sites(ws, path: str) -> None:
    advisor_for(ws).fill(path)


def export_sites(ws, path: str):
    return advisor_for(ws).export(path)


def adopt_sites(ws, path: str, value) -> None:
    advisor_for(ws).adopt(path, value)


# ---------------------------------------------------------------- the fix


def add_index_edit(model, schema_text: str, columns: tuple[str, ...]):
    """(offset, text) inserting `@@index([...])` into `model`, formatted like
    its neighbours: after its last block attribute, else before `}` after a
    blank line, with the model's indent and line ending. None when the
    model's block is not closed."""
    if not model.closed:
        return None
    data = schema_text.encode("utf-8")
    newline = "\r\n" if b"\r\n" in data else "\n"
    indent = model.field_indent
    line = f"@@index([{', '.join(columns)}])"
    close = model.body_end
    line_start = data.rfind(b"\n", 0, close) + 1
    if data[line_start:close].strip(b" \t"):
        # `}` shares its line with content (`model A { id Int @id }`).
        return close, f"{newline}{indent}{line}{newline}"
    block_attrs = [a for a in model.block_attributes if a.end <= close]
    if block_attrs:
        last_end = max(a.end for a in block_attrs)
        next_line = data.find(b"\n", last_end)
        if 0 <= next_line < close:
            return next_line + 1, f"{indent}{line}{newline}"
    before = data[:line_start].rstrip(b" \t")
    blank = before.endswith(b"\n\n") or before.endswith(b"\r\n\r\n") or before.endswith(b"{" + newline.encode())
    return line_start, ("" if blank else newline) + f"{indent}{line}{newline}"


def index_fix(schema, model, columns: tuple[str, ...]):
    """The safe fix adding `@@index([columns])` to `model`, or None."""
    from perfaudit.server.findings import Applicability, Edit, Fix

    schema_file = schema.file(model.path)
    if schema_file is None:
        return None
    placed = add_index_edit(model, schema_file.text, columns)
    if placed is None:
        return None
    offset, text = placed
    return Fix(f"Add @@index([{', '.join(columns)}]) to {model.name}", Applicability.SAFE,
               (Edit(model.path, offset, offset, text),), (MIGRATE_COMMAND,))


def leads_an_index(model, name: str) -> bool:
    return any(ix.kind in ("id", "unique", "index") and ix.fields[:1] == (name,) for ix in model.indexes)


def unindexed_fields(usage: SchemaUsage, min_sites: float) -> dict[tuple[str, str], list[Need]]:
    """(model, field) -> the unserved needs that field belongs to, for every
    field of a suggested index that no existing index starts with."""
    out: dict[tuple[str, str], list[Need]] = {}
    for name, model_usage in usage.models.items():
        model = model_usage.model
        for need in sorted(model_usage.unindexed(min_sites), key=lambda n: -n.weight):
            for column in need.columns:
                if model.field(column) is not None and not leads_an_index(model, column):
                    out.setdefault((name, column), []).append(need)
    return out


def p105_options(ws) -> dict | None:
    """P105's options when it runs in this workspace (P106 defers to it), else None."""
    from perfaudit.server.registry import all_rules

    rule = all_rules().get("P105")
    if rule is None or rule.check is None:
        return None
    config = ws.config
    if config is None:
        return dict(rule.options)
    if not config.enabled(rule.code):
        return None
    return config.options_for(rule)
