"""`perfaudit check --fix --unsafe-fixes` on a copy of realistic workspaces:
the fixed code still parses (no new ERROR nodes), and fixing again changes
nothing (the fixes converge)."""

import json
import shutil
from pathlib import Path

import pytest

from helpers import APP_SCHEMA, write_files
from perfaudit.command_line import main
from perfaudit.server.analysis.parsing import language_for, parse

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "backend"

# A second workspace with the shapes the P1xx fixes edit: multi-line calls,
# includes (nested, shared consts), route query parameters, .env URLs, pools.
SERVICES = {
    "prisma/schema.prisma": APP_SCHEMA,
    "package.json": '{"name": "read-lists", "dependencies": {"@prisma/client": "^6.4.0", "express": "^4.21.0"}}',
    ".env": 'DATABASE_URL="postgresql://app:app-pass@localhost:5432/readlists?schema=public"\n',
    "src/lib/prisma.ts": """\
        import { PrismaClient } from '@prisma/client';

        export const prisma = new PrismaClient();
    """,
    "src/services/readList.service.ts": """\
        import { prisma } from '../lib/prisma';

        const withItems = { items: { orderBy: { position: 'asc' as const } } };

        export class ReadListService {
          // « Mes listes » : the owner's lists
          async mine(ownerId: string) {
            const lists = await prisma.readList.findMany({
              where: { ownerId },
              include: { owner: true },
            });
            return lists.map((l) => ({ id: l.id, name: l.name, owner: l.owner.name }));
          }

          async full(id: string) {
            const list = await prisma.readList.findUnique({ where: { id }, include: withItems });
            if (!list) throw new Error('not found');
            return list.items.map((item) => item.title);
          }

          async comments(postId: string) {
            return prisma.post.findUnique({
              where: { id: postId },
              include: { comments: { include: { user: true } } },
            });
          }

          async everything() {
            return prisma.user.findMany();
          }
        }
    """,
    "src/routes/posts.routes.ts": """\
        import { Router } from 'express';
        import { prisma } from '../lib/prisma';

        export const router = Router();

        router.get('/posts', async (req, res) => {
          const { page, limit } = req.query;
          const posts = await prisma.post.findMany({ where: { published: true } });
          res.json(posts.map(({ id, title }) => ({ id, title })));
        });
    """,
    "src/legacy/users.js": """\
        const { prisma } = require('../lib/prisma');

        async function emails() {
          const users = await prisma.user.findMany({});
          return users.map((u) => u.email);
        }
        module.exports = { emails };
    """,
}


def error_count(path: Path) -> int:
    tree = parse(path.read_bytes(), language_for(path.name))
    stack, count = [tree.root_node], 0
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            count += 1
        stack.extend(node.children)
    return count


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def sources(root: Path) -> list[Path]:
    return [p for p in sorted(root.rglob("*")) if p.is_file() and language_for(p.name)]


@pytest.fixture(params=["example-backend", "services"])
def workspace(request, tmp_path) -> Path:
    root = tmp_path / request.param
    if request.param == "example-backend":
        if not EXAMPLE.is_dir():
            pytest.skip("examples/backend is not in this checkout")
        shutil.copytree(EXAMPLE, root)
    else:
        write_files(root, SERVICES)
    return root


def test_fixes_parse_and_converge(workspace, capsys):
    errors_before = {p: error_count(p) for p in sources(workspace)}
    before = snapshot(workspace)
    main(["check", "--fix", "--unsafe-fixes", str(workspace)])
    after_first = snapshot(workspace)
    assert after_first != before, "no fix applied: the round trip tests nothing"
    for path, errors in errors_before.items():
        assert error_count(path) <= errors, f"{path.relative_to(workspace)} has new syntax errors after --fix"
    main(["check", "--fix", "--unsafe-fixes", str(workspace)])
    after_second = snapshot(workspace)
    changed = [rel for rel in after_second if after_second[rel] != after_first.get(rel)]
    assert not changed, f"a second --fix changed {changed}"
    capsys.readouterr()


def test_p1xx_fixes_leave_no_p1xx_finding_behind(tmp_path, capsys):
    root = tmp_path / "ws"
    write_files(root, SERVICES)
    main(["check", "--fix", "--unsafe-fixes", "--select", "P101,P102,P103,P108", str(root)])
    capsys.readouterr()
    main(["check", "--select", "P101,P102,P103,P108", "--format", "json", str(root)])
    left = json.loads(capsys.readouterr().out)["findings"]
    # Not the query whose include lives in a shared const either (P101 would
    # have no fix there): it reads one row of small columns.
    assert left == []
    fixed = (root / "src/services/readList.service.ts").read_text()
    assert "include" not in fixed.split("async mine")[1].split("async full")[0]
    assert "select: { id: true, name: true, owner: { select: { name: true } } }," in fixed
    assert "const withItems = { items: { select: { title: true }, orderBy" in fixed
    assert (root / ".env").read_text().endswith("?schema=public&connection_limit=10\"\n")
    routes = (root / "src/routes/posts.routes.ts").read_text()
    assert "take: Math.min(Number(limit) || 100, 100)" in routes
    assert "select: { id: true, title: true }" in routes


MY_CODES = ["P101", "P102", "P103", "P107", "P108"]
EXPECTED = Path(__file__).resolve().parent / "expected"


def _expected_rows(name: str) -> set[tuple[str, int, str]]:
    rows = set()
    for line in (EXPECTED / name).read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 3 and parts[2] in MY_CODES:
            rows.add((parts[0], int(parts[1]), parts[2]))
    return rows


def test_example_backend_findings_match_the_expected_table(tmp_path):
    """Before fixing: the P101-P103/P107/P108 findings of examples/backend are
    exactly those of tests/expected/example_backend.tsv, none of the
    must-not-fire spots."""
    if not EXAMPLE.is_dir() or not (EXPECTED / "example_backend.tsv").is_file():
        pytest.skip("examples/backend or its expected table is not in this checkout")
    from helpers import lines_of
    from perfaudit.server.config import Config
    from perfaudit.server.engine import analyze

    root = tmp_path / "backend"
    shutil.copytree(EXAMPLE, root)
    result = analyze(str(root), None, Config(select=MY_CODES))
    found = set(lines_of(root, result.findings))
    assert found == _expected_rows("example_backend.tsv")
    assert not found & _expected_rows("example_backend_clean.tsv")
