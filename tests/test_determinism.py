"""Same answer every time: the same workspace, checked under several hash
seeds and with its files read in shuffled orders, gives byte-identical JSON."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "backend"

# Two bindings of one name in two branches: resolving "the first" capture
# or "the" local named `store` picks one at random.
BRANCHES = """\
import Redis from 'ioredis';
import { prisma } from '../lib/prisma';

const redis = new Redis(process.env.REDIS_URL!);

export async function warmUsers(ids: string[], fromCache: boolean) {
  if (fromCache) {
    const store = redis;
    for (const id of ids) {
      await store.get(`user:${id}`);
    }
  } else {
    const store = prisma;
    for (const id of ids) {
      await store.user.findUnique({ where: { id }, select: { id: true } });
    }
  }
}
"""

# Reads the files in an order given by a seed, then checks as the CLI does.
SHUFFLED = textwrap.dedent("""
    import random, sys
    from perfaudit.server.analysis.workspace import Workspace

    seed, root = int(sys.argv[1]), sys.argv[2]
    walk = Workspace.load

    def load(self, paths=None, workers=1):
        found = []
        real = Workspace.load_file
        Workspace.load_file = lambda ws, p: found.append(p)
        try:
            walk(self, paths)
        finally:
            Workspace.load_file = real
        random.Random(seed).shuffle(found)
        for p in found:
            self.load_file(p)
        self.side_changed()

    Workspace.load = load
    from perfaudit.server.cli.main import main
    sys.exit(main(["check", root, "--format", "json", "--no-cache"]))
""")


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "backend"
    shutil.copytree(EXAMPLE, root)
    (root / "src/jobs/warm.job.ts").write_text(BRANCHES, encoding="utf-8")
    # Two byte-identical files must get the same findings.
    shutil.copy(root / "src/jobs/warm.job.ts", root / "src/jobs/warm-copy.job.ts")
    return root


def _check(args: list[str], seed: int) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": str(seed), "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, *args], capture_output=True, env=env, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return proc.stdout


def test_hash_seeds_and_shuffled_reading_give_byte_identical_json(tmp_path):
    root = _workspace(tmp_path)
    first = _check(["-m", "perfaudit", "check", str(root), "--format", "json", "--no-cache"], 0)
    for seed in (1, 42, 4242):
        assert _check(["-m", "perfaudit", "check", str(root), "--format", "json", "--no-cache"], seed) == first
    for seed in (3, 17):
        assert _check(["-c", SHUFFLED, str(seed), str(root)], seed) == first


def test_a_name_bound_in_two_branches_is_two_bindings(tmp_path):
    import json

    root = _workspace(tmp_path)
    found = json.loads(_check(["-m", "perfaudit", "check", str(root), "--format", "json", "--no-cache"], 0))["findings"]
    for name in ("warm.job.ts", "warm-copy.job.ts"):
        codes = sorted((f["code"], f["range"]["start"]["line"]) for f in found
                       if f["path"].endswith(name) and f["code"] in ("R204", "P104"))
        # The Redis branch is R204, the Prisma branch P104: neither swapped nor lost.
        assert codes == [("P104", 14), ("R204", 9)], codes
