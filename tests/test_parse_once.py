"""Rules that need another file's syntax ask its facts first, and the
workspace rules read what the per-file checks found while each tree was
open: a check does not parse files again for them. Parses are counted,
not timed."""

import collections
import os
import time
from pathlib import Path

import pytest

from helpers import make_workspace
from perfaudit.server.analysis import parallel, workspace
from perfaudit.server.analysis.workspace import Workspace
from perfaudit.server.engine import Engine

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "backend"


def _count_parses(monkeypatch) -> collections.Counter:
    parses: collections.Counter = collections.Counter()
    real_parse = workspace.parse

    def counting_parse(data, language):
        parses[data] += 1
        return real_parse(data, language)

    monkeypatch.setattr(workspace, "parse", counting_parse)
    return parses


def test_the_workspace_rules_parse_no_query_file_again(monkeypatch):
    ws = Workspace(str(EXAMPLE))
    ws.load()
    engine = Engine(ws)
    engine._check_files(sorted(ws.files))  # the per-file checks, as `check` runs them
    parses = _count_parses(monkeypatch)
    findings = engine.check_workspace_rules()

    assert "P105" in {f.code for f in findings}  # it read the query sites of many files
    parsed = {ws.relpath(p) for p, s in ws.files.items() if parses[s.data]}
    # Only the files that create a Prisma client: P107 reads how (a few per app).
    creating = {ws.relpath(p) for p, s in ws.files.items() if b"new PrismaClient" in s.data}
    assert parsed <= creating and len(creating) < 5


def test_a_call_into_a_file_without_redis_writes_does_not_parse_it(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path, {
        "src/users.repository.ts": (
            "import { prisma } from './db';\n"
            "export async function findUsers(limit?: number) {\n"
            "  return prisma.user.findMany({ take: limit ?? 20 });\n"
            "}\n"
        ),
        "src/db.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
        "src/users.service.ts": (
            "import { findUsers } from './users.repository';\n"
            "export async function listUsers() {\n"
            "  return findUsers();\n"
            "}\n"
        ),
    })
    parses = _count_parses(monkeypatch)
    Engine(ws).check_file(str(tmp_path / "src/users.service.ts"))
    parsed = {ws.relpath(p) for p, s in ws.files.items() if parses[s.data]}
    assert "src/users.repository.ts" not in parsed  # (no rule needs the service's own tree either)


def _where(run):
    time.sleep(0.2)  # long enough that this process's turn comes before the children are done
    return os.getpid()


def test_the_parent_takes_a_share_of_the_forked_runs():
    runs = [[str(i)] for i in range(6)]
    seen = dict(parallel.run_forked(_where, runs, workers=2))
    assert sorted(seen) == list(range(6))  # every run, once
    assert os.getpid() in seen.values()  # some ran here
    assert len(set(seen.values())) == 2  # and some in the child


def test_the_route_model_and_what_routes_reach_are_built_once_before_the_checks_fork(monkeypatch):
    """Forked checks would each build the route model and walk every
    route's handlers (copying every page of facts they read); the parent
    builds them before it forks, and the checks only read them."""
    from perfaudit.server.express import routes as routes_mod

    ws = Workspace(str(EXAMPLE))
    ws.load()
    ws.build_shared_models()
    built = []
    real_init = routes_mod.RouteModel.__init__
    monkeypatch.setattr(routes_mod.RouteModel, "__init__", lambda self, w: built.append(1) or real_init(self, w))
    summaries_before = len(ws.index._summaries)
    assert summaries_before  # the routes' reach is memoised already
    Engine(ws).check()
    assert built == []


def test_a_warm_check_takes_the_workspace_rules_reads_from_the_cache(tmp_path, monkeypatch):
    """A file whose findings come from the cache is not checked, so its tree
    is never open: P105's reading of its query sites comes from the cache."""
    import shutil

    from perfaudit.server.engine import analyze

    root = tmp_path / "backend"
    shutil.copytree(EXAMPLE, root)
    first = analyze(str(root), cache=True)
    parses = _count_parses(monkeypatch)
    second = analyze(str(root), cache=True)

    assert second.findings == first.findings and "P105" in {f.code for f in second.findings}
    parsed = {second.workspace.relpath(p) for p, s in second.workspace.files.items() if parses[s.data]}
    creating = {second.workspace.relpath(p) for p, s in second.workspace.files.items() if b"new PrismaClient" in s.data}
    assert parsed <= creating  # P107 reads how clients are created; nothing else is parsed


@pytest.mark.parametrize("fixture", ["schema_ties", "monorepos/nx-shop"])
def test_forked_checks_hand_back_the_memos_of_every_schema(fixture, monkeypatch):
    """Two database packages with a schema each, and an Nx workspace: with
    the query sites the workers read for each schema, the parent's P105
    finds what a serial check finds."""
    root = Path(__file__).resolve().parent / "fixtures" / fixture
    ws = Workspace(str(root))
    ws.load()
    sequential = Engine(ws).check()
    monkeypatch.setattr(parallel, "PARALLEL_MIN_FILES", 0)
    forked_ws = Workspace(str(root))
    forked_ws.load(workers=2)
    forked = Engine(forked_ws).check(workers=2)
    assert "P105" in {f.code for f in sequential}
    assert forked == sequential


CLIENT_PER_CALL = """\
import { PrismaClient } from '@prisma/client';

let cached: PrismaClient | undefined;

export function db(): PrismaClient {
  return cached ?? new PrismaClient();
}
"""


def test_the_workspace_pass_after_an_edit_elsewhere_parses_no_client_file_again(tmp_path, monkeypatch):
    """In the editor the workspace rules run again after each edit that
    changes facts: P107 keeps what it read of each `new PrismaClient` per
    file content, so only an edit of that file makes it parse it again."""
    ws = make_workspace(tmp_path, {
        "src/lib/db.ts": CLIENT_PER_CALL,
        "src/users/users.service.ts": (
            "import { db } from '../lib/db';\n"
            "export async function listUsers(take = 20) {\n"
            "  return db().user.findMany({ take, select: { id: true } });\n"
            "}\n"
        ),
    })
    engine = Engine(ws)
    assert "P107" not in {f.code for f in engine.check_workspace_rules()}  # `cached ?? new ...` is guarded
    parses = _count_parses(monkeypatch)
    ws.set_source(str(tmp_path / "src/users/users.service.ts"), "export const unused = 1;\n")
    engine.check_workspace_rules()
    assert parses[CLIENT_PER_CALL.encode()] == 0

    unguarded = CLIENT_PER_CALL.replace("cached ?? new PrismaClient()", "new PrismaClient()")
    ws.set_source(str(tmp_path / "src/lib/db.ts"), unguarded)  # (its facts: one parse)
    assert "P107" in {f.code for f in engine.check_workspace_rules()}  # now one per call, read from the new text
    assert parses[unguarded.encode()] == 2


def test_an_open_file_is_queried_once_for_its_facts_and_its_rules(tmp_path, monkeypatch):
    """The editor keeps an open file's tree: facts extraction and the rules
    share one tree-sitter query of it (each is a good part of a keystroke)."""
    from perfaudit.server.analysis import parsing

    ws = make_workspace(tmp_path, {
        "src/lib/db.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
    })
    path = str(tmp_path / "src/orders/orders.service.ts")
    text = (
        "import { prisma } from '../lib/db';\n"
        "export async function ordersOf(ids: string[]) {\n"
        "  const out = [];\n"
        "  for (const id of ids) out.push(await prisma.post.findMany({ where: { authorId: id }, take: 20 }));\n"
        "  return out;\n"
        "}\n"
    )
    import tree_sitter

    queries = []
    real = tree_sitter.QueryCursor
    monkeypatch.setattr(tree_sitter, "QueryCursor", lambda query: queries.append(query) or real(query))
    ws.set_source(path, text, tree=parsing.parse(text.encode(), "typescript"), keep_tree=True)
    found = Engine(ws).check_file(path)
    assert "P104" in {f.code for f in found}
    assert len(queries) == 1


def test_files_that_no_rule_can_concern_are_not_parsed_for_the_check(tmp_path, monkeypatch):
    """A mapper without loops, and a webhook client whose two awaited calls
    write: the facts tell P104 (no loop) and A401 (no two reads in one
    function) that there is nothing to look at, so the check parses neither."""
    ws = make_workspace(tmp_path, {
        "src/orders/order.mapper.ts": (
            "export interface OrderDto { id: string; total: number }\n"
            "export const ORDER_STATUSES = ['open', 'paid'] as const;\n"
            "export function toOrderDto(row: { id: string; total: number }): OrderDto {\n"
            "  return { id: row.id, total: Math.round(row.total * 100) / 100 };\n"
            "}\n"
        ),
        "src/orders/webhooks.ts": (
            "import axios from 'axios';\n"
            "export async function notifyPaid(url: string, orderId: string) {\n"
            "  await axios.post(url, { orderId, status: 'paid' });\n"
            "  await axios.post(`${url}/audit`, { orderId });\n"
            "}\n"
        ),
    }, schema=False)
    parses = _count_parses(monkeypatch)
    engine = Engine(ws)
    for name in ("src/orders/order.mapper.ts", "src/orders/webhooks.ts"):
        path = str(tmp_path / name)
        ws.drop_tree(path)
        assert engine.check_file(path) == []
        assert parses[ws.files[path].data] == 0, name
