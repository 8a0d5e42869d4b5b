"""Schemas perfaudit's fixes write are valid for Prisma itself: checked with
Prisma's schema validator (WebAssembly from npm, offline; tests/prisma_schema.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import prisma_schema
from perfaudit.command_line import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "backend"


def test_the_validator_rejects_a_broken_schema(tmp_path: Path) -> None:
    # Proof that a pass below means something: an index on a field that does not exist.
    schema = tmp_path / "schema.prisma"
    text = (EXAMPLE / "prisma" / "schema.prisma").read_text()
    schema.write_text(text.replace("model Book {", "model Book {\n  @@index([noSuchField])", 1))
    valid, messages = prisma_schema.validate(schema)
    assert not valid
    assert "noSuchField" in messages


def test_the_example_backend_schema_stays_valid_after_every_fix(tmp_path: Path, capsys) -> None:
    root = tmp_path / "backend"
    shutil.copytree(EXAMPLE, root)
    schema = root / "prisma" / "schema.prisma"
    before = schema.read_text()
    assert prisma_schema.validate(schema)[0]
    main(["check", "--fix", "--unsafe-fixes", str(root)])
    capsys.readouterr()
    after = schema.read_text()
    assert after.count("@@index(") > before.count("@@index(")  # the fixes did edit it
    valid, messages = prisma_schema.validate(schema)
    assert valid, messages
