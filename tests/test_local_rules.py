"""Rules marked `local` find inside a function what a whole check finds there.

After an edit inside a function, the language server checks that function
alone with the local rules (server/incremental.py). For every outermost
function that is not a per-item callback (route handlers included), on the example backend, the fixture
workspaces and a service whose evidence is spread over its methods (an
interval started in one and cleared in another, a listener added in one and
removed in another), the function's check must equal the whole check's
findings inside it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from perfaudit.server.analysis.splice import _node_of
from perfaudit.server.analysis.workspace import Workspace
from perfaudit.server.engine import Engine
from perfaudit.server.incremental import _per_item_callback
from perfaudit.server.registry import all_rules
from perfaudit.server.rule import Scope

from tests.helpers import make_workspace

ROOT = Path(__file__).resolve().parent.parent
WORKSPACES = [ROOT / "examples" / "backend", *sorted(p for p in (ROOT / "tests" / "fixtures").glob("*/") if (p / "package.json").exists()),
              *sorted((ROOT / "tests" / "fixtures" / "monorepos").glob("*/"))]

SPREAD = {
    "src/poller.service.ts": """
import { EventEmitter } from 'node:events';
import { prisma } from './db';
import { redis } from './redis';

export const bus = new EventEmitter();

export class PollerService {
  private timer?: NodeJS.Timeout;

  start() {
    this.timer = setInterval(() => this.poll(), 5_000);
    bus.on('refresh', this.onRefresh);
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    bus.off('refresh', this.onRefresh);
  }

  onRefresh = async () => {
    await this.poll();
  };

  async poll() {
    const users = await prisma.user.findMany({ take: 50 });
    for (const u of users) {
      await redis.set(`seen:${u.id}`, '1');
      await this.touch(u.id);
    }
  }

  async countAll(ids: string[]) {
    return Promise.all(ids.map((id) => prisma.user.update({ where: { id }, data: { name: 'x' } })));
  }

  private async touch(id: string) {
    await prisma.user.update({ where: { id }, data: { name: 'x' } });
  }

  async keysOf(prefix: string) {
    const a = await redis.get(`${prefix}:a`);
    const b = await redis.get(`${prefix}:b`);
    return [a, b, await redis.keys(`${prefix}:*`)];
  }
}
""",
    "src/users.routes.ts": """
import { Router } from 'express';
import { prisma } from './db';
import { redis } from './redis';

export const usersRouter = Router();

usersRouter.get('/users/:id', async (req, res) => {
  const user = await prisma.user.findUnique({ where: { id: req.params.id } });
  const posts = await prisma.user.count();
  res.json({ user, posts });
});

usersRouter.post('/users/touch', async (req, res) => {
  const ids: string[] = req.body.ids;
  for (const id of ids) {
    await prisma.user.update({ where: { id }, data: { name: 'x' } });
  }
  ids.forEach(async (id) => {
    await redis.set(`touched:${id}`, '1');
  });
  res.sendStatus(204);
});
""",
    "src/app.ts": """
import express from 'express';
import { usersRouter } from './users.routes';

const app = express();
app.use(express.json());
app.use('/api', usersRouter);
app.listen(3000);
""",
    "src/db.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
    "src/redis.ts": "import Redis from 'ioredis';\nexport const redis = new Redis();\n",
    "package.json": '{"name": "spread", "dependencies": {"@prisma/client": "5", "ioredis": "5", "express": "4"}}',
}


def _local_codes(engine: Engine) -> set[str]:
    return {r.code for r in engine.enabled_rules() if r.scope == Scope.FILE and r.local}


def _compare(ws: Workspace) -> int:
    """Asserts each eligible function's check equals the whole check inside
    it; returns how many functions were compared."""
    engine = Engine(ws)
    codes = _local_codes(engine)
    compared = 0
    for path in sorted(ws.files):
        source = ws.files[path]
        tree = source.ensure_tree()
        whole = engine.check_file(path)
        for fn in source.facts.functions:
            unit = _node_of(tree.root_node, fn.start, fn.end) if fn.parent is None else None
            if unit is None or _per_item_callback(unit):
                continue
            expected = sorted((f.code, f.start, f.end, f.message) for f in whole
                              if f.code in codes and f.path == path and fn.start <= f.start and f.end <= fn.end)
            found, deferred = engine.check_function(path, unit, codes)
            assert not deferred  # the workspace's models are up to date here
            got = sorted((f.code, f.start, f.end, f.message) for f in found)
            assert got == expected, (path, fn.name)
            compared += 1
        ws.drop_tree(path)
    return compared


@pytest.mark.parametrize("root", WORKSPACES, ids=lambda p: p.name)
def test_a_function_alone_finds_what_the_whole_check_finds_in_it(root):
    ws = Workspace(str(root))
    ws.load()
    assert _compare(ws) > 0


def test_evidence_spread_over_methods(tmp_path):
    ws = make_workspace(tmp_path, SPREAD)
    engine = Engine(ws)
    path = next(p for p in ws.files if p.endswith("poller.service.ts"))
    whole = {f.code for f in engine.check_file(path)}
    # The shapes are there: findings the methods' checks must reproduce.
    assert {"P104", "R204", "A404", "R202", "R203"} <= whole, whole
    assert not {"A402", "A403"} & whole  # cleared and removed in `stop`
    routes = next(p for p in ws.files if p.endswith("users.routes.ts"))
    in_handlers = {f.code for f in engine.check_file(routes)}
    assert {"P101", "P104", "A401"} <= in_handlers, in_handlers  # inside the route handlers
    assert _compare(ws) >= 7


def test_every_file_rule_says_whether_it_is_local():
    file_rules = [r for r in all_rules().values() if r.scope == Scope.FILE and r.check is not None]
    assert file_rules and all(r.local for r in file_rules)
