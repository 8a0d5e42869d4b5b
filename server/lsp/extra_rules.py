"""Rule modules from outside the package, named by `PERFAUDIT_EXTRA_RULES`.

A list of `.py` files or folders (separated by `os.pathsep`). Tests use it
to start a real server with a rule that raises; a rule whose code already
exists is skipped, so the packaged rule always wins.
"""

from __future__ import annotations

import importlib.util
import logging
import os

from perfaudit.server import registry
from perfaudit.server.rule import Rule

ENV = "PERFAUDIT_EXTRA_RULES"
log = logging.getLogger("perfaudit.lsp")


def _module_files(spec: str) -> list[str]:
    if os.path.isdir(spec):
        return sorted(os.path.join(spec, n) for n in os.listdir(spec) if n.endswith(".py") and not n.startswith("_"))
    return [spec] if spec.endswith(".py") else []


def load_extra_rules(value: str | None = None) -> list[str]:
    """Register the extra rules; returns their codes."""
    value = os.environ.get(ENV, "") if value is None else value
    rules = registry.all_rules()  # the cached table: adding to it registers
    added: list[str] = []
    for spec in filter(None, value.split(os.pathsep)):
        for path in _module_files(spec):
            name = f"perfaudit_extra_{os.path.splitext(os.path.basename(path))[0]}"
            try:
                module_spec = importlib.util.spec_from_file_location(name, path)
                module = importlib.util.module_from_spec(module_spec)
                module_spec.loader.exec_module(module)
            except Exception:
                log.exception("could not load extra rule module %s", path)
                continue
            rule = getattr(module, "RULE", None)
            if not isinstance(rule, Rule) or rule.code in rules:
                continue
            rule.doc = (module.__doc__ or "").strip()
            rule.check = getattr(module, "check")
            rule.module = name
            rules[rule.code] = rule
            added.append(rule.code)
    return added
