"""Prisma schemas as data: models, fields, attributes, indexes, enums,
datasources and generators of one file (`SchemaFile`), and the logical
schema of one or more files (`Schema`). The parser is `schema_parser.py`,
discovery `discovery.py`.

All offsets are UTF-8 byte offsets into `text.encode("utf-8")`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field as dc_field
from typing import Iterable

from perfaudit.server.prisma.schema_text import _parse_args, _parse_list, _unquote

__all__ = [
    "SchemaAttribute",
    "SchemaField",
    "IndexDef",
    "Model",
    "EnumDef",
    "Datasource",
    "Generator",
    "SchemaFile",
    "Schema",
]


@dataclass(frozen=True)
class SchemaAttribute:
    name: str
    args: str
    start: int
    end: int

    def _parsed(self) -> tuple[list[str], dict[str, str]]:
        return _parse_args(self.args)

    @property
    def positional_args(self) -> tuple[str, ...]:
        return tuple(self._parsed()[0])

    def named_arg(self, key: str) -> str | None:
        return self._parsed()[1].get(key)

    def list_arg(self, key: str | None = None) -> tuple[str, ...]:
        positional, named = self._parsed()
        if key is not None:
            value = named.get(key)
            return _parse_list(value) if value is not None else ()
        for p in positional:
            if p.startswith("["):
                return _parse_list(p)
        if "fields" in named:
            return _parse_list(named["fields"])
        return ()

    def string_arg(self, key: str | None = None) -> str | None:
        """Unquoted value of `key:`, or for None the first positional string."""
        positional, named = self._parsed()
        if key is not None:
            v = named.get(key)
            return _unquote(v) if v is not None and v.startswith('"') else None
        for p in positional:
            if p.startswith('"'):
                return _unquote(p)
        return None


@dataclass(frozen=True)
class SchemaField:
    name: str
    type: str
    is_list: bool
    is_optional: bool
    attributes: tuple[SchemaAttribute, ...]
    start: int
    end: int
    name_start: int
    name_end: int
    type_start: int = -1
    type_end: int = -1
    documentation: str = ""

    def attribute(self, name: str) -> SchemaAttribute | None:
        for a in self.attributes:
            if a.name == name:
                return a
        return None

    @property
    def is_id(self) -> bool:
        return self.attribute("id") is not None

    @property
    def is_unique(self) -> bool:
        return self.attribute("unique") is not None

    @property
    def relation(self) -> SchemaAttribute | None:
        return self.attribute("relation")

    @property
    def relation_fields(self) -> tuple[str, ...]:
        rel = self.relation
        return rel.list_arg("fields") if rel else ()

    @property
    def relation_references(self) -> tuple[str, ...]:
        rel = self.relation
        return rel.list_arg("references") if rel else ()

    @property
    def relation_name(self) -> str | None:
        rel = self.relation
        if rel is None:
            return None
        return rel.string_arg(None) or rel.string_arg("name")

    @property
    def db_name(self) -> str:
        m = self.attribute("map")
        if m is not None:
            return m.string_arg(None) or m.string_arg("name") or self.name
        return self.name

    @property
    def has_default(self) -> bool:
        return self.attribute("default") is not None

    @property
    def default(self) -> str | None:
        d = self.attribute("default")
        return d.args if d is not None else None

    @property
    def is_updated_at(self) -> bool:
        return self.attribute("updatedAt") is not None

    @property
    def is_ignored(self) -> bool:
        return self.attribute("ignore") is not None

    @property
    def native_type(self) -> SchemaAttribute | None:
        for a in self.attributes:
            if a.name.startswith("db."):
                return a
        return None


@dataclass(frozen=True)
class IndexDef:
    kind: str
    fields: tuple[str, ...]
    start: int
    end: int
    name: str | None

    @property
    def first_field(self) -> str | None:
        return self.fields[0] if self.fields else None

    def covers(self, fields: Iterable[str]) -> bool:
        """True when this index starts with `fields` (in any order of that prefix)."""
        wanted = list(fields)
        return bool(wanted) and set(self.fields[: len(wanted)]) == set(wanted)


@dataclass(frozen=True)
class Model:
    kind: str
    name: str
    path: str
    start: int
    end: int
    name_start: int
    name_end: int
    body_start: int
    body_end: int
    fields: tuple[SchemaField, ...]
    block_attributes: tuple[SchemaAttribute, ...]
    indexes: tuple[IndexDef, ...]
    db_name: str
    field_indent: str = "  "
    closed: bool = True
    documentation: str = ""

    @property
    def delegate(self) -> str:
        return self.name[:1].lower() + self.name[1:]

    def field(self, name: str) -> SchemaField | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def block_attribute(self, name: str) -> SchemaAttribute | None:
        for a in self.block_attributes:
            if a.name == name:
                return a
        return None

    @property
    def id_fields(self) -> tuple[str, ...]:
        for ix in self.indexes:
            if ix.kind == "id":
                return ix.fields
        return ()

    def has_index_starting_with(self, name: str) -> bool:
        return any(ix.fields and ix.fields[0] == name for ix in self.indexes)


@dataclass(frozen=True)
class EnumDef:
    name: str
    values: tuple[str, ...]
    path: str
    start: int
    end: int
    name_start: int = -1
    name_end: int = -1
    db_name: str = ""


@dataclass(frozen=True)
class Datasource:
    name: str
    provider: str | None
    url: str | None
    relation_mode: str | None
    path: str
    start: int
    end: int
    direct_url: str | None = None
    properties: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Generator:
    name: str
    provider: str | None
    output: str | None
    preview_features: tuple[str, ...]
    path: str
    start: int
    end: int
    engine_type: str | None = None
    properties: tuple[tuple[str, str], ...] = ()


@dataclass
class SchemaFile:
    path: str
    text: str
    models: list[Model] = dc_field(default_factory=list)
    enums: list[EnumDef] = dc_field(default_factory=list)
    datasources: list[Datasource] = dc_field(default_factory=list)
    generators: list[Generator] = dc_field(default_factory=list)
    errors: list[tuple[int, int, str]] = dc_field(default_factory=list)


def _norm(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


class Schema:
    """One logical schema: one file, or a folder of .prisma files."""

    def __init__(self, root: str, files: list[SchemaFile]):
        self.root = root
        self.files = list(files)
        self.models: dict[str, Model] = {}
        self.types: dict[str, Model] = {}
        self.enums: dict[str, EnumDef] = {}
        self.datasources: list[Datasource] = []
        self.generators: list[Generator] = []
        for f in self.files:
            for m in f.models:
                target = self.types if m.kind == "type" else self.models
                target.setdefault(m.name, m)
            for e in f.enums:
                self.enums.setdefault(e.name, e)
            self.datasources.extend(f.datasources)
            self.generators.extend(f.generators)
        self._by_delegate = {m.delegate: m for m in reversed(list(self.models.values()))}
        self._files_by_path = {_norm(f.path): f for f in self.files}

    @classmethod
    def from_files(cls, root: str, files: list[SchemaFile]) -> "Schema":
        return cls(root, files)

    def __repr__(self) -> str:
        return f"Schema(root={self.root!r}, files={[f.path for f in self.files]!r}, models={list(self.models)!r})"

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files)

    @property
    def datasource(self) -> Datasource | None:
        return self.datasources[0] if self.datasources else None

    @property
    def errors(self) -> list[tuple[str, int, int, str]]:
        return [(f.path, s, e, msg) for f in self.files for (s, e, msg) in f.errors]

    def model_for_delegate(self, delegate: str) -> Model | None:
        return self._by_delegate.get(delegate)

    def is_model(self, type_name: str) -> bool:
        return type_name in self.models

    def is_enum(self, type_name: str) -> bool:
        return type_name in self.enums

    def scalar_fields(self, model: Model) -> list[SchemaField]:
        return [f for f in model.fields if f.type not in self.models]

    def relation_fields(self, model: Model) -> list[SchemaField]:
        return [f for f in model.fields if f.type in self.models]

    def file(self, path: str) -> SchemaFile | None:
        return self._files_by_path.get(_norm(path))
