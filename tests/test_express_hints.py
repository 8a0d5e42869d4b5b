"""The fast prefilters answer as the regexes they replace.

`mentions_express` and `mentions_redis` decide whether a file's Express and
Redis facts are extracted at all; they use substring tests, which run many
times faster than an alternation regex on every file and every keystroke.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from perfaudit.server.express.facts import _EXPRESS_HINTS, mentions_express
from perfaudit.server.redis.clients import mentions_redis

ROOT = Path(__file__).resolve().parent.parent
PIECES = [b"req", b"res", b"request", b"response", b"result", b"_req", b"$res", b"reqs", b"1res", b".query",
          b".queryRaw", b"express", b"Router", b"use(", b".use(", b"listen(", b"redis", b"Redis", b"REDIS",
          b"rEdis", b"edis", b" ", b"\n", b"(", b".", b"x", b"\xc3\xa9"]


def _texts():
    for path in sorted(ROOT.glob("examples/**/*.ts")) + sorted(ROOT.glob("tests/fixtures/**/*.ts")):
        yield path.read_bytes()
    rng = random.Random(7)
    for _ in range(3000):
        yield b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6)))


def test_mentions_express_answers_as_the_regex():
    answers = [(mentions_express(t), bool(_EXPRESS_HINTS.search(t))) for t in _texts()]
    assert all(fast == slow for fast, slow in answers)
    assert any(fast for fast, _ in answers) and not all(fast for fast, _ in answers)


def test_mentions_redis_answers_as_the_regex():
    regex = re.compile(rb"[Rr]edis|REDIS")
    answers = [(mentions_redis(t), bool(regex.search(t))) for t in _texts()]
    assert all(fast == slow for fast, slow in answers)
    assert any(fast for fast, _ in answers) and not all(fast for fast, _ in answers)
