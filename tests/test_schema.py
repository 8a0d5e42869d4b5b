"""Tests for the tolerant Prisma schema parser and schema discovery."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from perfaudit.server.prisma.schema import Schema
from perfaudit.server.prisma.schema_parser import parse_schema_file
from perfaudit.server.prisma.discovery import (
    SchemaLocation,
    discover_schemas,
    load_schema,
    load_schemas,
)
from perfaudit.server.analysis.text import LineIndex

FIXTURES = Path(__file__).parent / "fixtures" / "schemas"


def read_fixture(name: str) -> str:
    return (FIXTURES / name).read_bytes().decode("utf-8").replace("\r\n", "\n")


def sl(text: str, start: int, end: int) -> str:
    return text.encode("utf-8")[start:end].decode("utf-8")


@pytest.fixture(scope="module")
def readlist():
    text = read_fixture("readlist.prisma")
    sf = parse_schema_file("/app/prisma/schema.prisma", text)
    return text, sf, Schema.from_files("/app", [sf])


# --------------------------------------------------------------------------
# A realistic schema


def test_blocks_and_kinds(readlist):
    text, sf, schema = readlist
    assert sf.errors == []
    assert [(m.kind, m.name) for m in sf.models] == [
        ("model", "User"),
        ("model", "Post"),
        ("model", "Comment"),
        ("model", "ReadList"),
        ("model", "ReadListItem"),
        ("model", "Tag"),
        ("model", "TagsOnPosts"),
        ("type", "Address"),
        ("view", "PostStats"),
    ]
    assert list(schema.models) == ["User", "Post", "Comment", "ReadList", "ReadListItem", "Tag", "TagsOnPosts", "PostStats"]
    assert list(schema.types) == ["Address"]
    assert list(schema.enums) == ["Role"]
    for m in sf.models:
        assert m.path == "/app/prisma/schema.prisma"
        assert sl(text, m.name_start, m.name_end) == m.name
        assert sl(text, m.start, m.end).startswith(f"{m.kind} {m.name} {{")
        assert sl(text, m.start, m.end).endswith("}")
        assert sl(text, m.body_end, m.end) == "}"
        assert sl(text, m.body_start - 1, m.body_start) == "{"
        assert m.closed
        assert m.field_indent == "  "


def test_fields_types_and_offsets(readlist):
    text, sf, schema = readlist
    user = schema.models["User"]
    assert [(f.name, f.type, f.is_list, f.is_optional) for f in user.fields] == [
        ("id", "String", False, False),
        ("email", "String", False, False),
        ("name", "String", False, True),
        ("role", "Role", False, False),
        ("address", "Address", False, True),
        ("posts", "Post", True, False),
        ("comments", "Comment", True, False),
        ("readLists", "ReadList", True, False),
        ("createdAt", "DateTime", False, False),
        ("updatedAt", "DateTime", False, False),
    ]
    name = user.field("name")
    # the trailing comment (with an emoji) is not part of the field
    assert sl(text, name.start, name.end) == "name      String?   @db.VarChar(120)"
    assert sl(text, name.name_start, name.name_end) == "name"
    assert sl(text, name.type_start, name.type_end) == "String"
    email = user.field("email")
    assert [a.name for a in email.attributes] == ["unique", "db.VarChar"]
    vc = email.attribute("db.VarChar")
    assert vc.args == "255" and sl(text, vc.start, vc.end) == "@db.VarChar(255)"
    assert email.native_type is vc
    ident = user.field("id")
    assert ident.is_id and ident.has_default and ident.default == "cuid()"
    assert sl(text, ident.attributes[1].start, ident.attributes[1].end) == "@default(cuid())"
    assert user.field("updatedAt").is_updated_at
    assert user.field("updatedAt").db_name == "updated_at"
    assert user.field("createdAt").db_name == "created_at"
    assert user.field("email").db_name == "email"
    assert user.db_name == "users"
    assert user.documentation == "A registered reader."
    assert user.field("nope") is None


def test_non_ascii_offsets(readlist):
    """Offsets are UTF-8 byte offsets even after accents and emoji."""
    text, sf, schema = readlist
    data = text.encode("utf-8")
    assert len(data) > len(text)  # the fixture does contain multi-byte text
    rl = schema.models["ReadList"]
    title = rl.field("title")
    assert title.db_name == "naïve_title"
    assert data[title.start : title.end] == 'title     String         @map("naïve_title")'.encode()
    author = schema.models["Post"].field("author")
    assert author.documentation == "Author of the post (naïve café comment)"
    idx = LineIndex(data)
    pos = idx.position(title.name_start)
    assert idx.line_text(pos.line).strip().startswith("title")


def test_indexes(readlist):
    _, _, schema = readlist
    post = schema.models["Post"]
    assert [(i.kind, i.fields, i.name) for i in post.indexes] == [
        ("id", ("id",), None),
        ("unique", ("authorId", "slug"), "author_slug"),
        ("index", ("published", "createdAt"), None),
        ("fulltext", ("title", "content"), None),
    ]
    rl = schema.models["ReadList"]
    assert [(i.kind, i.fields) for i in rl.indexes] == [("id", ("id",)), ("index", ("userId", "createdAt"))]
    item = schema.models["ReadListItem"]
    assert [(i.kind, i.fields) for i in item.indexes] == [("id", ("readListId", "postId"))]
    assert item.id_fields == ("readListId", "postId")
    assert not item.has_index_starting_with("postId")
    assert item.has_index_starting_with("readListId")
    tag = schema.models["Tag"]
    assert [(i.kind, i.fields, i.name) for i in tag.indexes] == [("id", ("id",), None), ("unique", ("label",), "tag_label_key")]
    top = schema.models["TagsOnPosts"]
    assert top.indexes[1].name == "tags_on_posts_tag_idx"
    assert post.indexes[2].covers(["published"]) and not post.indexes[2].covers(["createdAt"])


def test_attribute_args(readlist):
    text, _, schema = readlist
    post = schema.models["Post"]
    unique = post.block_attribute("unique")
    assert unique.list_arg() == ("authorId", "slug")
    assert unique.named_arg("name") == '"author_slug"'
    assert unique.string_arg("name") == "author_slug"
    index = post.block_attributes[1]
    assert index.name == "index" and index.args == "[published, createdAt(sort: Desc)]"
    assert sl(text, index.start, index.end) == "@@index([published, createdAt(sort: Desc)])"
    assert index.list_arg() == ("published", "createdAt")
    assert index.named_arg("map") is None
    rel = post.field("author").relation
    assert rel.list_arg("fields") == ("authorId",)
    assert rel.list_arg("references") == ("id",)
    assert rel.named_arg("onDelete") == "Cascade"
    assert rel.list_arg("nope") == ()


def test_relations_and_delegates(readlist):
    _, _, schema = readlist
    post = schema.models["Post"]
    author = post.field("author")
    assert author.relation_fields == ("authorId",)
    assert author.relation_references == ("id",)
    assert post.field("authorId").relation_fields == ()
    assert [f.name for f in schema.relation_fields(post)] == ["author", "comments", "tags"]
    assert [f.name for f in schema.scalar_fields(post)] == [
        "id", "title", "slug", "content", "published", "authorId", "createdAt"
    ]
    user = schema.models["User"]
    # enums and composite types count as scalars
    assert [f.name for f in schema.scalar_fields(user)] == [
        "id", "email", "name", "role", "address", "createdAt", "updatedAt"
    ]
    assert schema.models["ReadListItem"].delegate == "readListItem"
    assert schema.model_for_delegate("readListItem") is schema.models["ReadListItem"]
    assert schema.model_for_delegate("tagsOnPosts").name == "TagsOnPosts"
    assert schema.model_for_delegate("postStats").kind == "view"
    assert schema.model_for_delegate("address") is None  # composite types have no delegate
    assert schema.model_for_delegate("ReadListItem") is None
    assert schema.is_model("User") and not schema.is_model("Role") and not schema.is_model("Address")
    assert schema.is_enum("Role")


def test_enum_view_type_config(readlist):
    text, sf, schema = readlist
    role = schema.enums["Role"]
    assert role.values == ("READER", "EDITOR", "ADMIN")
    assert role.db_name == "user_role"
    assert sl(text, role.start, role.end).startswith("enum Role {") and sl(text, role.start, role.end).endswith("}")
    assert sl(text, role.name_start, role.name_end) == "Role"
    stats = schema.models["PostStats"]
    loc = stats.field("location")
    assert loc.type == 'Unsupported("geometry(Point, 4326)")' and loc.is_optional
    address = schema.types["Address"]
    assert address.field("geo").type == "Float" and address.field("geo").is_list
    (ds,) = sf.datasources
    assert (ds.name, ds.provider, ds.url, ds.relation_mode, ds.direct_url) == (
        "db", "postgresql", 'env("DATABASE_URL")', "foreignKeys", 'env("DIRECT_URL")'
    )
    assert sl(text, ds.start, ds.end).startswith("datasource db {")
    assert schema.datasource is ds
    (gen,) = sf.generators
    assert (gen.name, gen.provider, gen.output) == ("client", "prisma-client-js", "../node_modules/.prisma/client")
    assert gen.preview_features == ("fullTextSearchPostgres", "views")
    assert schema.file("/app/prisma/schema.prisma") is sf
    assert schema.file("/app/prisma/other.prisma") is None


def test_crlf_gives_same_structure_with_right_offsets(readlist):
    text, sf, _ = readlist
    crlf = text.replace("\n", "\r\n")
    sf2 = parse_schema_file("crlf.prisma", crlf)
    assert sf2.errors == []
    assert [m.name for m in sf2.models] == [m.name for m in sf.models]
    for m1, m2 in zip(sf.models, sf2.models):
        assert [(f.name, f.type, f.is_list, f.is_optional) for f in m1.fields] == [
            (f.name, f.type, f.is_list, f.is_optional) for f in m2.fields
        ]
        assert [(i.kind, i.fields, i.name) for i in m1.indexes] == [(i.kind, i.fields, i.name) for i in m2.indexes]
        for f1, f2 in zip(m1.fields, m2.fields):
            assert sl(crlf, f2.start, f2.end) == sl(text, f1.start, f1.end)
            assert "\r" not in sl(crlf, f2.start, f2.end)
        for a1, a2 in zip(m1.block_attributes, m2.block_attributes):
            assert sl(crlf, a2.start, a2.end) == sl(text, a1.start, a1.end)
        assert sl(crlf, m2.body_end, m2.end) == "}"
    assert sf2.generators[0].preview_features == ("fullTextSearchPostgres", "views")
    assert sf2.enums[0].values == ("READER", "EDITOR", "ADMIN")


# --------------------------------------------------------------------------
# Tolerance


def test_broken_file_keeps_the_rest():
    text = read_fixture("broken.prisma")
    sf = parse_schema_file("broken.prisma", text)
    names = [m.name for m in sf.models]
    assert names == ["User", "Draft", "Post", "Tail"]
    draft = sf.models[1]
    assert not draft.closed
    assert [f.name for f in draft.fields] == ["id", "title"]  # `body` has no type
    # an unclosed block ends where the next block starts
    assert sl(text, draft.body_end, draft.body_end + len("model Post {")) == "model Post {"
    post = sf.models[2]
    assert post.closed
    assert post.field("author").relation_fields == ("authorId",)
    assert [(i.kind, i.fields) for i in post.indexes] == [("id", ("id",)), ("index", ("authorId",))]
    assert sf.enums[0].name == "Status" and sf.enums[0].values == ("ACTIVE", "ARCHIVED")
    assert sf.datasources[0].provider == "postgresql"
    tail = sf.models[3]
    assert not tail.closed and tail.body_end == len(text.encode())
    messages = [m for _, _, m in sf.errors]
    assert any("Draft is missing its closing" in m for m in messages)
    assert any("field body has no type" in m for m in messages)
    assert any("unclosed '(' in attribute @index" in m for m in messages)
    assert any("without a name" in m for m in messages)
    assert any("outside of a block" in m for m in messages)
    assert [e[0] for e in sf.errors] == sorted(e[0] for e in sf.errors)
    junk = [e for e in sf.errors if "outside of a block" in e[2]][0]
    assert sl(text, junk[0], junk[1]) == "}}\nthis is not prisma at all"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n\t",
        "// only a comment ✨",
        "\x00\x01\x02\xff\ufffd garbage \x00 model",
        "model",
        "model User",
        "model User {",
        "model User {\n  id",
        "model User {\n  id Int @id @default(",
        "model User {\n  id Int @id @default(\"x",
        "}}}}{{{{",
        "model A { id Int @id }",
        "enum {",
        "datasource db {\n  url =",
        "generator c {\n previewFeatures = [\"a\",\n",
        "model A {\n  id Int @\n  b Int @@map\n  @@index([\n}",
        "model \ud800 {\n}",
        "type T {\n  x Unsupported(\"a\n}",
    ],
)
def test_never_raises(text):
    sf = parse_schema_file("x.prisma", text)
    size = len(text.encode("utf-8", errors="surrogatepass"))
    for m in sf.models:
        assert 0 <= m.start <= m.body_start <= m.body_end <= m.end <= size
        for f in m.fields:
            assert m.body_start <= f.start <= f.end <= m.body_end
    for s, e, msg in sf.errors:
        assert 0 <= s <= e <= size and msg


def test_single_line_and_multiline_attributes():
    text = (
        "model A { id Int @id }\n"
        "model B {\n"
        "  id    Int\n"
        "  a     String\n"
        "  b     String\n"
        "  @@index([\n"
        "    a,\n"
        "    b(ops: raw(\"gin_trgm_ops\"))\n"
        "  ], type: Gin) // trailing\n"
        "  @@unique(fields: [a, b])\n"
        "}\n"
    )
    sf = parse_schema_file("m.prisma", text)
    assert sf.errors == []
    a, b = sf.models
    assert [f.name for f in a.fields] == ["id"] and a.field("id").is_id
    assert sl(text, a.field("id").start, a.field("id").end) == "id Int @id"
    index, unique = b.block_attributes
    assert index.list_arg() == ("a", "b")
    assert index.named_arg("type") == "Gin"
    assert sl(text, index.start, index.end).endswith("], type: Gin)")
    assert unique.list_arg() == ("a", "b") == unique.list_arg("fields")
    assert [(i.kind, i.fields) for i in b.indexes] == [("index", ("a", "b")), ("unique", ("a", "b"))]


def test_fuzzed_truncations_and_mutations_never_raise(readlist):
    text, _, _ = readlist
    rnd = random.Random(1234)
    for cut in range(0, len(text), max(1, len(text) // 150)):
        sf = parse_schema_file("t.prisma", text[:cut])
        for m in sf.models:
            assert m.body_end <= m.end <= len(text[:cut].encode())
    for _ in range(40):
        chars = list(text)
        for _ in range(20):
            chars.insert(rnd.randrange(len(chars)), rnd.choice("{}()[]\"@/\n\r?\x00é"))
        parse_schema_file("t.prisma", "".join(chars))


def test_tab_indent_detected():
    sf = parse_schema_file("u.prisma", (FIXTURES / "multi/prisma/schema/user.prisma").read_text("utf-8"))
    assert sf.models[0].field_indent == "\t"
    assert parse_schema_file("e.prisma", "model E {\n}\n").models[0].field_indent == "  "


# --------------------------------------------------------------------------
# Multi-file schema folder


def test_multi_file_folder():
    (loc,) = discover_schemas(str(FIXTURES / "multi"))
    assert loc.root == str(FIXTURES / "multi")
    assert [os.path.basename(p) for p in loc.paths] == ["main.prisma", "post.prisma", "user.prisma"]
    schema = load_schema(loc)
    assert sorted(schema.models) == ["Post", "User"]
    post = schema.models["Post"]
    assert post.path.endswith("post.prisma")
    assert [f.name for f in schema.relation_fields(post)] == ["author"]
    assert [f.name for f in schema.scalar_fields(post)] == ["id", "authorId", "status"]
    assert schema.enums["PostStatus"].values == ("DRAFT", "PUBLISHED")
    assert schema.datasource.provider == "postgresql"
    assert schema.file(os.path.join(str(FIXTURES), "multi", "prisma", "schema", "user.prisma")).models[0].name == "User"
    assert schema.errors == []


# --------------------------------------------------------------------------
# Discovery


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


MINI = "model User {\n  id Int @id\n}\n"


def test_discover_default_prisma_schema(tmp_path):
    write(tmp_path / "package.json", "{}")
    p = write(tmp_path / "prisma" / "schema.prisma", MINI)
    write(tmp_path / "schema.prisma", MINI)  # lower precedence
    assert discover_schemas(str(tmp_path)) == [SchemaLocation(str(tmp_path), (str(p),))]


def test_discover_schema_folder_recursive(tmp_path):
    write(tmp_path / "package.json", "{}")
    a = write(tmp_path / "prisma" / "schema" / "a.prisma", MINI)
    b = write(tmp_path / "prisma" / "schema" / "billing" / "b.prisma", "model B {\n id Int @id\n}\n")
    write(tmp_path / "prisma" / "schema" / "notes.md", "x")
    (loc,) = discover_schemas(str(tmp_path))
    assert loc.paths == (str(a), str(b))


def test_discover_root_schema_without_package_json(tmp_path):
    p = write(tmp_path / "schema.prisma", MINI)
    assert discover_schemas(str(tmp_path)) == [SchemaLocation(str(tmp_path), (str(p),))]


def test_discover_package_json_prisma_schema(tmp_path):
    write(tmp_path / "package.json", '{"name": "api", "prisma": {"schema": "db/main.prisma", "seed": "tsx seed.ts"}}')
    p = write(tmp_path / "db" / "main.prisma", MINI)
    write(tmp_path / "prisma" / "schema.prisma", MINI)
    assert discover_schemas(str(tmp_path)) == [SchemaLocation(str(tmp_path), (str(p),))]


def test_discover_package_json_folder(tmp_path):
    write(tmp_path / "package.json", '{"prisma": {"schema": "./db/models"}}')
    a = write(tmp_path / "db" / "models" / "a.prisma", MINI)
    b = write(tmp_path / "db" / "models" / "b.prisma", MINI)
    assert discover_schemas(str(tmp_path))[0].paths == (str(a), str(b))


@pytest.mark.parametrize(
    "config, target",
    [
        ('import { defineConfig } from "prisma/config";\nexport default defineConfig({\n  schema: "db/schema.prisma",\n});\n', "file"),
        (
            'import path from "node:path";\nimport type { PrismaConfig } from "prisma";\n'
            '// schema: "wrong/one.prisma"\n'
            'export default {\n  earlyAccess: true,\n  schema: path.join("db", "schema.prisma"),\n} satisfies PrismaConfig;\n',
            "file",
        ),
        ("module.exports = { schema: path.join(__dirname, 'db', 'schema.prisma') };\n", "file"),
        ("export default defineConfig({ schema: 'db/models', migrations: { path: 'db/migrations' } })\n", "folder"),
    ],
)
def test_discover_prisma_config(tmp_path, config, target):
    write(tmp_path / "package.json", '{"prisma": {"schema": "other.prisma"}}')
    write(tmp_path / "other.prisma", MINI)
    write(tmp_path / "prisma.config.ts", config)
    f = write(tmp_path / "db" / "schema.prisma", MINI)
    m1 = write(tmp_path / "db" / "models" / "one.prisma", MINI)
    m2 = write(tmp_path / "db" / "models" / "two.prisma", MINI)
    (loc,) = discover_schemas(str(tmp_path))
    assert loc.paths == ((str(f),) if target == "file" else (str(m1), str(m2)))


def test_prisma_config_unresolvable_falls_back(tmp_path):
    write(tmp_path / "package.json", "{}")
    write(tmp_path / "prisma.config.mts", "export default defineConfig({ schema: process.env.SCHEMA_PATH })\n")
    p = write(tmp_path / "prisma" / "schema.prisma", MINI)
    assert discover_schemas(str(tmp_path))[0].paths == (str(p),)


def test_discover_monorepo(tmp_path):
    write(tmp_path / "package.json", '{"private": true, "workspaces": ["apps/*", "packages/*"]}')
    api = write(tmp_path / "apps" / "api" / "package.json", '{"name": "api"}')
    api_schema = write(tmp_path / "apps" / "api" / "prisma" / "schema.prisma", MINI)
    write(tmp_path / "apps" / "web" / "package.json", '{"name": "web"}')  # no schema
    billing_schema = write(tmp_path / "packages" / "billing" / "prisma" / "schema" / "invoice.prisma", "model Invoice {\n id Int @id\n}\n")
    write(tmp_path / "packages" / "billing" / "package.json", "{broken json")
    write(tmp_path / "node_modules" / "some-lib" / "package.json", "{}")
    write(tmp_path / "node_modules" / "some-lib" / "prisma" / "schema.prisma", MINI)
    write(tmp_path / "apps" / "api" / "dist" / "prisma" / "schema.prisma", MINI)
    write(tmp_path / "tools" / "package.json", "{}")
    write(tmp_path / "tools" / "schema.prisma", MINI)
    locs = discover_schemas(str(tmp_path))
    assert locs == [
        SchemaLocation(str(api.parent), (str(api_schema),)),
        SchemaLocation(str(tmp_path / "packages" / "billing"), (str(billing_schema),)),
        SchemaLocation(str(tmp_path / "tools"), (str(tmp_path / "tools" / "schema.prisma"),)),
    ]
    assert discover_schemas(str(tmp_path)) == locs  # deterministic
    excluded = discover_schemas(str(tmp_path), exclude_dir=lambda p: os.path.basename(p) == "tools")
    assert [loc.root for loc in excluded] == [locs[0].root, locs[1].root]

    schemas = load_schemas(str(tmp_path))
    api_s, billing_s, tools_s = schemas
    assert list(billing_s.models) == ["Invoice"]


def test_discover_missing_root(tmp_path):
    assert discover_schemas(str(tmp_path / "does-not-exist")) == []
    write(tmp_path / "package.json", "{}")
    assert discover_schemas(str(tmp_path)) == []


def test_load_schema_binary_file(tmp_path):
    p = tmp_path / "schema.prisma"
    p.write_bytes(b"\x00\x01model\xff\xfe")
    (loc,) = discover_schemas(str(tmp_path))
    schema = load_schema(loc)
    assert schema.models == {} and schema.errors and schema.files[0].text == ""
    schema = load_schema(loc, overrides={str(p): MINI})
    assert list(schema.models) == ["User"]


def test_bom_and_lone_cr():
    text = "\ufeff// café\rmodel Café {\r  id Int @id // ✨\r  nom String @map(\"prénom\")\r}\r"
    sf = parse_schema_file("bom.prisma", text)
    # `Café` is not a valid identifier: the header is reported, the file still parses
    assert sf.errors
    text = "\ufeff// café\rmodel Person {\r  id Int @id // ✨\r  nom String @map(\"prénom\")\r}\r"
    sf = parse_schema_file("bom.prisma", text)
    assert sf.errors == []
    (m,) = sf.models
    assert sl(text, m.name_start, m.name_end) == "Person"
    assert [sl(text, f.start, f.end) for f in m.fields] == ["id Int @id", 'nom String @map("prénom")']
    assert m.field("nom").db_name == "prénom"
