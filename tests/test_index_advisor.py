"""The index advisor on realistic fixture backends: usage, coverage, the fix."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from perfaudit.server.config import Config
from perfaudit.server.engine import analyze
from perfaudit.server.prisma import schemas
from perfaudit.server.prisma.index_advisor import add_index_edit, advisor_for
from perfaudit.server.lsp.schema_feature import schema_hover, schema_lenses
from perfaudit.server.prisma.schema_parser import parse_schema_file
from perfaudit.server.analysis.workspace import Workspace
import prisma_schema
from helpers import lines_of

FIXTURES = Path(__file__).parent / "fixtures" / "index_advisor"


def copy_fixture(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    return root


def check(root: Path, codes=("P105", "P106")):
    return analyze(str(root), None, Config(select=list(codes)))


def test_app_fixture_findings(tmp_path):
    root = copy_fixture("app", tmp_path)
    result = check(root)
    assert not result.errors
    assert lines_of(root, result.findings) == [
        ("prisma/schema.prisma", 14, "P105"),  # User.handle: one side of the OR
        ("prisma/schema.prisma", 15, "P105"),  # User.name: the other side
        ("prisma/schema.prisma", 27, "P105"),  # Order.status: composite [status, total]
        ("prisma/schema.prisma", 28, "P105"),  # Order.total
        ("prisma/schema.prisma", 29, "P105"),  # Order.createdAt: second column only
        ("prisma/schema.prisma", 37, "P105"),  # OrderItem.orderId: relation filter `some`
        ("prisma/schema.prisma", 39, "P105"),  # OrderItem.sku
        ("prisma/schema.prisma", 45, "P105"),  # Session.userId (P105, so no P106)
        ("prisma/schema.prisma", 48, "P105"),  # Session.expiresAt
        ("prisma/schema.prisma", 53, "P105"),  # Product.sku
    ]
    # The query sites are the schema findings' related information (one problem, one finding).
    sites = {(Path(r.path).relative_to(root).as_posix(), Path(r.path).read_bytes()[:r.start].count(b"\n") + 1)
             for f in result.findings for r in f.related}
    assert sites == {
        ("src/catalog/product.service.ts", 7),
        ("src/orders/order.repository.ts", 17),
        ("src/orders/order.repository.ts", 25),
        ("src/orders/order.repository.ts", 31),
        ("src/users/user.service.ts", 21),
        ("src/users/user.service.ts", 28),
    }


def test_suggestions_are_composite_in_equality_then_range_order(tmp_path):
    root = copy_fixture("app", tmp_path)
    result = check(root, ["P105"])
    titles = {fx.title for f in result.findings for fx in f.fixes}
    assert "Add @@index([status, total]) to Order" in titles
    assert "Add @@index([userId, expiresAt]) to Session" in titles
    assert "Add @@index([orderId, sku]) to OrderItem" in titles
    # OR of two fields: two single indexes, never a composite of both.
    assert {"Add @@index([name]) to User", "Add @@index([handle]) to User"} <= titles
    assert not any("name, handle" in t or "handle, name" in t for t in titles)


def test_schema_finding_relates_the_where_key_of_each_query(tmp_path):
    root = copy_fixture("app", tmp_path)
    result = check(root, ["P105"])
    path = str(root / "src/orders/order.repository.ts")
    schema = (root / "prisma/schema.prisma").read_bytes()
    status = next(f for f in result.findings if schema[f.start:f.end] == b"status")
    data = Path(path).read_bytes()
    keys = [data[r.start:r.end] for r in status.related if r.path == path]
    assert keys and set(keys) <= {b"where", b"orderBy"}
    assert all("filtered or sorted here: Order." in r.message for r in status.related)


def test_fixes_remove_every_finding_without_touching_ts(tmp_path):
    root = copy_fixture("app", tmp_path)
    before = {p: p.read_bytes() for p in root.rglob("*.ts")}
    schema_path = root / "prisma/schema.prisma"
    for _ in range(20):  # one index per pass at most per model insertion point
        result = check(root, ["P105"])
        site_findings = [f for f in result.findings if f.fixes]
        if not site_findings:
            break
        fix = site_findings[0].fixes[0]
        assert {e.path for e in fix.edits} == {str(schema_path)}
        data = schema_path.read_bytes()
        for edit in sorted(fix.edits, key=lambda e: e.start, reverse=True):
            data = data[:edit.start] + edit.new_text.encode() + data[edit.end:]
        schema_path.write_bytes(data)
    result = check(root, ["P105"])
    site_findings = [f for f in result.findings if f.path.endswith(".ts")]
    # The OR search needs two indexes; every fix added one.
    assert site_findings == []
    assert result.findings == []
    assert {p: p.read_bytes() for p in root.rglob("*.ts")} == before
    text = schema_path.read_text()
    assert "  @@index([status, total])\n" in text
    assert "  @@unique([tenantId, handle])\n  @@index([name])\n" in text or "@@index([name])" in text
    assert not parse_schema_file(str(schema_path), text).errors


def test_fixed_schema_validates_with_prisma(tmp_path):
    """Prisma's own validator (WebAssembly, tests/prisma_schema.py) accepts the schema the fixes wrote."""
    root = copy_fixture("app", tmp_path)
    schema_path = root / "prisma/schema.prisma"
    assert prisma_schema.validate(schema_path)[0]
    result = check(root, ["P105"])
    from perfaudit.server.fixes import apply_fixes_detailed

    texts = {str(schema_path): schema_path.read_text()}
    outcome = apply_fixes_detailed(texts, [f for f in result.findings if f.path == str(schema_path)], unsafe=False)
    schema_path.write_text(outcome.texts[str(schema_path)])
    valid, messages = prisma_schema.validate(schema_path)
    assert valid, messages
    assert outcome.texts[str(schema_path)].count("@@index(") >= 6


def test_multi_file_schema_fix_edits_the_models_file(tmp_path):
    root = copy_fixture("multi", tmp_path)
    result = check(root)
    assert lines_of(root, result.findings) == [
        ("prisma/schema/post.prisma", 5, "P105"),
        ("prisma/schema/post.prisma", 6, "P105"),
    ]
    fix = result.findings[-1].fixes[0]
    assert fix.title == "Add @@index([published, publishedAt, id]) to Post"
    (edit,) = fix.edits
    assert edit.path == str(root / "prisma/schema/post.prisma")
    assert edit.new_text == "  @@index([published, publishedAt, id])\n"


def test_two_schemas_in_a_monorepo_are_independent(tmp_path):
    root = copy_fixture("mono", tmp_path)
    result = check(root)
    assert lines_of(root, result.findings) == [
        ("packages/billing/prisma/schema.prisma", 8, "P105"),
        ("packages/billing/prisma/schema.prisma", 10, "P105"),
    ]
    assert {Path(r.path).relative_to(root).as_posix() for f in result.findings for r in f.related} == {
        "packages/billing/src/invoices.ts"}


# ---------------------------------------------------------------- usage model


def _sites(root: Path, rel: str):
    ws = Workspace(str(root))
    ws.load()
    path = str(root / rel)
    (schema,) = schemas(ws)
    return ws, advisor_for(ws).sites_of(path, schema)


def test_usage_model_kinds_and_opaque_filters(tmp_path):
    root = copy_fixture("app", tmp_path)
    _, sites = _sites(root, "src/catalog/product.service.ts")
    assert [(s.op, s.opaque) for s in sites] == [
        ("findFirst", False), ("findMany", True), ("findMany", True), ("findMany", False), ("findMany", False)]
    by_op = [{(u.field, u.kind) for u in s.uses} for s in sites]
    assert by_op[0] == {("sku", "equality")}
    assert by_op[3] == set()  # `{ [sort]: order }` is unknown, not a guess
    assert by_op[4] == {("name", "pattern")}
    assert [s.requirements for s in sites[1:]] == [(), (), (), ()]


def test_usage_model_relation_cursor_and_sort(tmp_path):
    root = copy_fixture("app", tmp_path)
    _, sites = _sites(root, "src/orders/order.repository.ts")
    listing, recent, count, relation, by_id = sites
    assert [(r.eq, r.slot, r.columns) for r in listing.requirements] == [(("customerId",), "createdAt", ("customerId", "createdAt"))]
    assert ("createdAt", "sort") in {(u.field, u.kind) for u in listing.uses}
    assert [(r.model, r.columns) for r in relation.requirements] == [("OrderItem", ("orderId", "sku"))]
    assert [(r.columns, r.slot_is_range) for r in count.requirements] == [(("status", "total"), True)]
    assert by_id.requirements == ()  # unique lookup


def test_coverage_levels_in_hover(tmp_path):
    root = copy_fixture("app", tmp_path)
    ws = Workspace(str(root))
    ws.load()
    schema_path = str(root / "prisma/schema.prisma")
    text = Path(schema_path).read_bytes()
    order_hover = schema_hover(ws, schema_path, text.index(b"model Order") + len("model "))
    assert order_hover.startswith("**Order**: 5 query sites, 2 unindexed filters")
    assert "served by `@@index([customerId, createdAt])`" in order_hover
    assert "**no index**: add `@@index([createdAt])`" in order_hover
    assert "npx prisma migrate dev --name add_performance_indexes" in order_hover
    assert "CONCURRENTLY" in order_hover
    tenant = schema_hover(ws, schema_path, text.index(b"  tenantId") + 3)
    assert "served by `@@unique([tenantId, handle])`" in tenant
    assert schema_hover(ws, schema_path, text.index(b"datasource")) is None


def test_lenses_count_sites_and_unindexed_filters(tmp_path):
    root = copy_fixture("app", tmp_path)
    ws = Workspace(str(root))
    ws.load()
    lenses = schema_lenses(ws, str(root / "prisma/schema.prisma"))
    assert [(l.model, l.title) for l in lenses] == [
        ("User", "4 query sites, 2 unindexed filters"),
        ("Order", "5 query sites, 2 unindexed filters"),
        ("OrderItem", "1 query site, 1 unindexed filter"),
        ("Session", "1 query site, 1 unindexed filter"),
        ("Product", "5 query sites, 1 unindexed filter"),
    ]


def test_sites_are_memoised_and_survive_index_edits(tmp_path):
    root = copy_fixture("app", tmp_path)
    ws = Workspace(str(root))
    ws.load()
    advisor = advisor_for(ws)
    schema = schemas(ws)[0]
    orders, users = str(root / "src/orders/order.repository.ts"), str(root / "src/users/user.service.ts")
    first = advisor.sites_of(orders, schema)
    users_first = advisor.sites_of(users, schema)
    assert advisor.sites_of(orders, schema) is first
    ws.set_source(users, ws.files[users].text + "\nexport const x = 1;\n")
    assert advisor.sites_of(orders, schema) is first
    assert advisor.sites_of(users, schemas(ws)[0]) is not users_first
    # Adding an index changes coverage, not how files are read.
    schema_path = str(root / "prisma/schema.prisma")
    ws.set_side_text(schema_path, ws.side_texts[schema_path].replace("  price Int\n", "  price Int\n\n  @@index([sku])\n"))
    assert advisor.sites_of(orders, schemas(ws)[0]) is first
    product = advisor.usage(schemas(ws)[0]).models["Product"]
    assert product.unindexed() == []


# ---------------------------------------------------------------- the edit


def _model(text: str, name: str):
    return next(m for m in parse_schema_file("/s.prisma", text).models if m.name == name)


def _insert(text: str, name: str, columns) -> str:
    offset, new = add_index_edit(_model(text, name), text, tuple(columns))
    data = text.encode()
    return (data[:offset] + new.encode() + data[offset:]).decode()


def test_edit_follows_existing_block_attributes():
    text = "model A {\n    id Int @id\n    b  Int\n\n    @@map(\"a\")\n}\n"
    assert _insert(text, "A", ["b"]) == "model A {\n    id Int @id\n    b  Int\n\n    @@map(\"a\")\n    @@index([b])\n}\n"


def test_edit_adds_a_blank_line_before_the_first_block_attribute():
    text = "model A {\n  id Int @id\n  b  Int\n}\n"
    assert _insert(text, "A", ["b", "id"]) == "model A {\n  id Int @id\n  b  Int\n\n  @@index([b, id])\n}\n"


def test_edit_keeps_crlf_and_handles_one_line_models():
    crlf = "model A {\r\n  id Int @id\r\n  b  Int\r\n}\r\n"
    assert _insert(crlf, "A", ["b"]) == "model A {\r\n  id Int @id\r\n  b  Int\r\n\r\n  @@index([b])\r\n}\r\n"
    one = "model A { id Int @id }\n"
    out = _insert(one, "A", ["id"])
    assert "@@index([id])" in out and not parse_schema_file("/s.prisma", out).errors


def test_unclosed_model_gets_no_edit():
    text = "model A {\n  id Int @id\n  b  Int\n"
    assert add_index_edit(_model(text, "A"), text, ("b",)) is None


def test_half_typed_code_and_broken_schema_do_not_crash(tmp_path):
    (tmp_path / "prisma").mkdir()
    (tmp_path / "prisma/schema.prisma").write_text("model Post {\n  id String @id\n  authorId String\n  title @@\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src/a.ts").write_text("export const f = () => prisma.post.findMany({ where: { authorId: , title: { gte")
    result = check(tmp_path)
    assert result.errors == []
