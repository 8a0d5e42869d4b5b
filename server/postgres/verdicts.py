"""What the plans say about one suggested index.

- `small-table`: the table holds fewer rows than `small_rows`; a scan of it
  is cheap whatever the planner picks, so the index is not worth its writes.
- `no-hypopg`: the extension is not installed; only the plan before is known.
- `confirmed`: with the hypothetical index, some query site's plan reads it
  and costs less than before.
- `not-used`: every site keeps a plan without it (or one that costs no less).
"""

from __future__ import annotations

CONFIRMED = "confirmed"
NOT_USED = "not-used"
SMALL_TABLE = "small-table"
NO_HYPOPG = "no-hypopg"
VERDICTS = (CONFIRMED, NOT_USED, SMALL_TABLE, NO_HYPOPG)

SMALL_TABLE_ROWS = 1000

# Verdicts that mean "do not add this index": P105 says nothing for them.
QUIET = {NOT_USED, SMALL_TABLE}

INSTALL_HYPOPG = ("HypoPG is not installed in this database: install the package for your "
                  "server (Debian: postgresql-15-hypopg) and run `perfaudit explain --create-extension`, "
                  "or `CREATE EXTENSION hypopg` as its owner")


def site_confirms(before, after, index_name: str) -> bool:
    return after is not None and index_name in after.index_names and after.cost < before.cost


def verdict(rows: int, small_rows: int, has_hypopg: bool, confirmed_sites: int) -> str:
    if rows < small_rows:
        return SMALL_TABLE
    if not has_hypopg:
        return NO_HYPOPG
    return CONFIRMED if confirmed_sites else NOT_USED


def human_rows(n: int) -> str:
    """2100000 -> '2.1 M', 48000 -> '48 k', 40 -> '40'."""
    for size, unit in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if n >= size:
            value = n / size
            text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
            return f"{text.removesuffix('.0')} {unit}"
    return str(n)


def human_bytes(n: int) -> str:
    for size, unit in ((1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "kB")):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".0 ", " ")
    return f"{n} B"
