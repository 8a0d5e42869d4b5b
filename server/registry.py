"""All rules, discovered from the `perfaudit.rules` package."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from functools import lru_cache

from perfaudit.server.rule import Rule

# X001 is the engine's own: a suppression comment naming an unknown code.
UNKNOWN_SUPPRESSION = Rule(
    code="X001",
    name="unknown-rule-in-suppression",
    summary="A suppression comment names a rule code that does not exist.",
)
UNKNOWN_SUPPRESSION.doc = """## What it does
Reports a `perfaudit-ignore-next-line` or `perfaudit-ignore-file` comment that
names a code no rule has.

## Why is this bad?
A typo in a suppression silently suppresses nothing, or hides that a rule was
renamed.

## Example
```ts
// perfaudit-ignore-next-line P999
```

## Use instead
```ts
// perfaudit-ignore-next-line P101
```

## Fix safety
No fix.
"""


@lru_cache(maxsize=1)
def all_rules() -> dict[str, Rule]:
    import perfaudit.rules as package

    rules: dict[str, Rule] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{package.__name__}.{info.name}")
        except Exception:  # one broken rule module never stops the others
            logging.getLogger("perfaudit").exception("cannot load rule module %s", info.name)
            continue
        rule = getattr(module, "RULE", None)
        if not isinstance(rule, Rule):
            continue
        rule.doc = (module.__doc__ or "").strip()
        rule.check = getattr(module, "check")
        rule.file_memo = getattr(module, "FILE_MEMO", None)
        rule.module = module.__name__
        if rule.code in rules:
            raise RuntimeError(f"duplicate rule code {rule.code} in {module.__name__}")
        rules[rule.code] = rule
    rules[UNKNOWN_SUPPRESSION.code] = UNKNOWN_SUPPRESSION
    return dict(sorted(rules.items()))


def by_name_or_code(key: str) -> Rule | None:
    rules = all_rules()
    if key.upper() in rules:
        return rules[key.upper()]
    for rule in rules.values():
        if rule.name == key:
            return rule
    return None


def matches(code: str, selectors) -> bool:
    """A code matches a selector that is the code itself or a prefix (`P1`, `R`, `ALL`)."""
    for sel in selectors:
        sel = sel.strip().upper()
        if sel == "ALL" or code.startswith(sel):
            return True
        rule = by_name_or_code(sel.lower())
        if rule is not None and rule.code == code:
            return True
    return False
