"""What a single call does by itself: a query, a Redis command, blocking I/O...

The core knows no framework: each wing (Prisma, Redis, Node) registers a
classifier with the index (`register_classifier`) that turns a call into
effects. The index combines them with name resolution to say what a
function *reaches*.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Effect:
    kind: str  # "query", "redis", "http", "blocking", "cache"
    op: str  # Prisma operation, Redis command, blocking function...
    target: str  # model name for queries, client for Redis, "" otherwise
    path: str  # where the effect happens (file)
    start: int
    end: int
    via: tuple[str, ...] = ()  # functions traversed from the caller, outermost first
    # Whether it changes data; the wing that classifies the call knows.
    is_write: bool = False

    def through(self, name: str) -> "Effect":
        return Effect(self.kind, self.op, self.target, self.path, self.start, self.end, (name,) + self.via, self.is_write)


# What a wing adds to an effect's name in listings, by effect kind: the
# schema a query runs against in a workspace with several. The core never
# knows what it means.
_QUALIFIERS: dict[str, object] = {}


def register_qualifier(kind: str, qualifier) -> None:
    """`qualifier(ws, effect) -> str`: "" when there is nothing to add."""
    _QUALIFIERS[kind] = qualifier


def qualifier(ws, effect: Effect) -> str:
    fn = _QUALIFIERS.get(effect.kind)
    if fn is None:
        return ""
    try:
        return fn(ws, effect) or ""
    except Exception:  # a listing never fails over a label
        return ""
