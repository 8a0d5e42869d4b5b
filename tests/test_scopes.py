"""Block scopes: a name bound in two blocks of one function is two bindings,
for calls in the blocks, in callbacks nested there, and not outside them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from perfaudit.server.engine import analyze

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "backend"

JOB = """\
import Redis from 'ioredis';
import { prisma } from '../lib/prisma';

const redis = new Redis(process.env.REDIS_URL!);
const store = { get: (key: string) => key };

export async function refresh(ids: string[], fromCache: boolean) {
  if (fromCache) {
    const store = redis;
    await Promise.all(ids.map((id) => store.get(`user:${id}`)));
  } else {
    const store = prisma;
    ids.forEach(async (id) => {
      await store.user.findUnique({ where: { id }, select: { id: true } });
    });
  }
  for (const id of ids) {
    store.get(id);
  }
}

export async function later(ids: string[]) {
  for (const id of ids) {
    let store = prisma;
    await store.user.findUnique({ where: { id }, select: { id: true } });
  }
}
"""


def _codes(tmp_path) -> list[tuple[str, int]]:
    root = tmp_path / "backend"
    shutil.copytree(EXAMPLE, root)
    path = root / "src/jobs/refresh.job.ts"
    path.write_text(JOB, encoding="utf-8")
    result = analyze(str(root))
    data = path.read_bytes()
    return sorted((f.code, data.count(b"\n", 0, f.start)) for f in result.findings
                  if f.path == str(path) and f.code in ("R204", "P104"))


def test_each_branch_binding_reaches_its_own_uses_and_callbacks(tmp_path):
    codes = _codes(tmp_path)
    assert ("R204", 9) in codes  # the Redis branch's callback
    assert ("P104", 13) in codes  # the Prisma branch's callback
    assert ("P104", 24) in codes  # a `let` in a loop body of another function


def test_a_use_after_the_blocks_means_the_outer_binding(tmp_path):
    # `store.get(id)` after the if: the module's plain object, no Redis client.
    assert ("R204", 17) not in _codes(tmp_path)
