"""Configuration: `perfaudit.toml`, or a `perfaudit` key in `package.json`.

One optional file at the workspace root says which rules run (`select`,
`ignore`: codes, prefixes such as `P1`, rule names, or `ALL`), their
severities, their options, and which paths to leave out (`exclude` globs,
relative to the root)::

    select = ["P1", "R"]
    ignore = ["P101"]
    exclude = ["src/generated/**"]
    unsafe-fixes = false
    [roles]               # file roles, on top of the names and project files
    script = ["tools/**"]  # serving, test, seed, script, migration, fixture
    report-non-serving = false  # true: request-path rules report in tests and scripts too
    [severity]
    P102 = "error"
    [rules.P102]          # options, by code or rule name
    default-take = 50
    [database]            # `check` asks the planner (perfaudit explain)
    url-env = "DATABASE_URL"

Editor settings and CLI flags override the file (`Config.merged`). Every
error names the file and the key, so the user knows what to edit.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

from perfaudit.server import registry
from perfaudit.server.findings import Severity
from perfaudit.server.rule import Rule

CONFIG_FILE = "perfaudit.toml"
PACKAGE_JSON = "package.json"
PACKAGE_KEY = "perfaudit"

SEVERITY_CHOICES = "error|warning|information|hint"
_SELECTOR_RE = re.compile(r"^[A-Z][0-9]{0,3}$")
_TOP_LEVEL_KEYS = ("select", "ignore", "exclude", "severity", "rules", "unsafe-fixes", "database", "roles")
ROLE_KEYS = ("serving", "test", "seed", "script", "migration", "fixture")
REPORT_NON_SERVING = "report-non-serving"


class ConfigError(Exception):
    """An invalid configuration: `str()` is `<file>: <key>: <what is wrong>`."""

    def __init__(self, source: str, key: str, problem: str):
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}")


def _show(value: Any) -> str:
    """A value as the user wrote it, for error messages."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


# --- rule selection --------------------------------------------------------------


def _selector_specificity(code: str, selector: str) -> int | None:
    """How specifically `selector` names `code`: None when it does not match.

    `ALL` is 0, a prefix is its length, a full code or a rule name beats any
    prefix. This is what lets `ignore = ["P1"]` lose to `select = ["P101"]`
    and `ignore = ["P101"]` win over `select = ["P1"]`, as in Ruff.
    """
    sel = selector.strip()
    upper = sel.upper()
    if upper == "ALL":
        return 0
    if code.startswith(upper) and _SELECTOR_RE.match(upper):
        return len(upper)
    if registry.matches(code, [sel]):
        return 10  # a rule name naming exactly this code
    return None


def _best(code: str, selectors: Iterable[str]) -> int | None:
    best = None
    for sel in selectors:
        spec = _selector_specificity(code, sel)
        if spec is not None and (best is None or spec > best):
            best = spec
    return best


def validate_selector(selector: Any, source: str, key: str) -> str:
    """A selector must be `ALL`, a code or code prefix (`P`, `P1`, `P101`) or a rule name."""
    if not isinstance(selector, str) or not selector.strip():
        raise ConfigError(source, key, f"expected a rule code, prefix or name, got {_show(selector)}")
    sel = selector.strip()
    upper = sel.upper()
    if upper == "ALL":
        return upper
    codes = registry.all_rules()
    if _SELECTOR_RE.match(upper):
        # Well formed is not enough: `P999` or `Q1` selects nothing, like a typo.
        if any(code.startswith(upper) for code in codes):
            return upper
        raise ConfigError(source, key, f"unknown rule code {_show(selector)}{_did_you_mean(upper, list(codes))}")
    rule = registry.by_name_or_code(sel)
    if rule is not None:
        return sel
    names = list(codes) + [r.name for r in codes.values()]
    raise ConfigError(source, key, f"unknown rule code, prefix or name {_show(selector)}{_did_you_mean(sel, names)}")


def _did_you_mean(given: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(given, known, n=3)
    return f" (did you mean {', '.join(close)}?)" if close else "; `perfaudit rules` lists them"


def _rule_for_key(key: str) -> Rule | None:
    return registry.by_name_or_code(key)


def _norm_option(name: str) -> str:
    return name.replace("_", "-").lower()


def _check_option_type(value: Any, default: Any) -> str | None:
    """None when `value` may replace `default`, else what was expected."""
    if default is None:
        return None
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "a boolean"
    if isinstance(default, int):
        return None if isinstance(value, int) and not isinstance(value, bool) else "an integer"
    if isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else "a number"
    if isinstance(default, str):
        return None if isinstance(value, str) else "a string"
    if isinstance(default, (list, tuple)):
        return None if isinstance(value, list) else "a list"
    if isinstance(default, dict):
        return None if isinstance(value, dict) else "a table"
    return None


@dataclass
class Config:
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    options: dict[str, dict] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    unsafe_fixes: bool = False
    # `[database] url-env`: the variable holding the URL `check` plans with.
    database_url_env: str | None = None
    # File roles: globs per role (see analysis/roles.py), and the switch that
    # lets request-path rules report outside serving code.
    roles: dict[str, list[str]] = field(default_factory=dict)
    report_non_serving: bool = False
    # Where it came from (a display path), for messages; None for defaults.
    source: str | None = None

    # -- which rules run ------------------------------------------------------

    def enabled(self, code: str) -> bool:
        """Whether the rule `code` runs: the most specific matching selector decides.

        An `ignore` wins over a `select` that is as specific or less. X001
        (unknown code in a suppression) is on unless ignored by name or
        code (or `ALL`/`X`): a typo in a suppression is never silent.
        """
        ignored = _best(code, self.ignore)
        if code == registry.UNKNOWN_SUPPRESSION.code:
            return ignored is None
        selected = _best(code, self.select)
        if selected is None:
            return False
        return ignored is None or ignored < selected

    def severity_for(self, rule: Rule | str) -> Severity:
        code = rule if isinstance(rule, str) else rule.code
        best: tuple[int, Severity] | None = None
        for key, sev in self.severity.items():
            spec = _selector_specificity(code, key)
            if spec is not None and (best is None or spec > best[0]):
                best = (spec, sev)
        if best is not None:
            return best[1]
        if isinstance(rule, str):
            found = registry.all_rules().get(code)
            return found.severity if found else Severity.WARNING
        return rule.severity

    def options_for(self, rule: Rule) -> dict:
        """The rule's option defaults with the configured values on top.

        Keys may be written with `-` or `_`; the result uses the rule's own
        spelling. An option the rule does not have is a ConfigError.
        """
        values = dict(rule.options)
        by_norm = {_norm_option(k): k for k in rule.options}
        for key in (rule.code, rule.name):
            given = self.options.get(key)
            if not given:
                continue
            _validate_options(rule, given, self.source or CONFIG_FILE, f"rules.{key}")
            for name, value in given.items():
                values[by_norm[_norm_option(str(name))]] = value
        return values

    # -- which files ----------------------------------------------------------------

    def is_excluded(self, relpath: str) -> bool:
        """Whether a path (relative to the root, `/` or os separators) is excluded.

        A glob matches the path or any directory above it; a glob without a
        `/` matches at any depth (`*.spec.ts`, `generated`), as in .gitignore.
        """
        if not self.exclude:
            return False
        path = relpath.replace("\\", "/")
        while path.startswith("./"):
            path = path[2:]
        path = path.strip("/")
        parts = path.split("/")
        candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for pattern in self.exclude:
            rx, anchored = _glob_regex(pattern)
            for cand in candidates:
                if rx.fullmatch(cand):
                    return True
                if not anchored and rx.fullmatch(cand.rsplit("/", 1)[-1]):
                    return True
        return False

    # -- layering -------------------------------------------------------------------

    def merged(self, **overrides: Any) -> "Config":
        """A copy with CLI or editor settings on top; None values change nothing.

        `select` replaces the file's selection (and drops `ignore` entries it
        names exactly, so `--select P101` re-enables an ignored P101);
        `ignore` and `exclude` add to the file's; `severity` and `options`
        override per key; `unsafe_fixes` replaces.
        """
        new = dataclasses.replace(
            self,
            select=list(self.select),
            ignore=list(self.ignore),
            severity=dict(self.severity),
            options={k: dict(v) for k, v in self.options.items()},
            exclude=list(self.exclude),
            roles={k: list(v) for k, v in self.roles.items()},
        )
        for key, value in overrides.items():
            if value is None:
                continue
            if key == "select":
                sel = [s.strip().upper() if _SELECTOR_RE.match(s.strip().upper()) or s.strip().upper() == "ALL" else s.strip() for s in value]
                new.select = sel
                new.ignore = [i for i in new.ignore if i.upper() not in {s.upper() for s in sel}]
            elif key == "ignore":
                new.ignore.extend(value)
            elif key == "exclude":
                new.exclude.extend(value)
            elif key == "severity":
                new.severity.update({k: (v if isinstance(v, Severity) else Severity.parse(v)) for k, v in value.items()})
            elif key == "options":
                for code, opts in value.items():
                    new.options.setdefault(code, {}).update(opts)
            elif key == "unsafe_fixes":
                new.unsafe_fixes = bool(value)
            elif key == "roles":
                for role, globs in value.items():
                    new.roles.setdefault(role, []).extend(globs)
            elif key == "report_non_serving":
                new.report_non_serving = bool(value)
            elif key == "source":
                new.source = value
            else:
                raise TypeError(f"Config.merged: unknown setting {key!r}")
        return new


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> tuple[re.Pattern, bool]:
    """Translate a gitignore-style glob; the flag says whether it is anchored (has a `/`)."""
    pat = pattern.strip().replace("\\", "/")
    if pat.startswith("./"):
        pat = pat[2:]
    anchored = "/" in pat.rstrip("/")
    pat = pat.strip("/")
    out = []
    i = 0
    while i < len(pat):
        c = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pat.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pat[i + 1 : j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out)), anchored


# --- reading ------------------------------------------------------------------


def _string_list(value: Any, source: str, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(source, key, f"expected a list of strings, got {_show(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise ConfigError(source, f"{key}[{i}]", f"expected a string, got {_show(item)}")
    return list(value)


def _parse_severity(value: Any, source: str, key: str) -> Severity:
    if isinstance(value, str):
        try:
            return Severity.parse(value)
        except KeyError:
            pass
    raise ConfigError(source, key, f"expected one of {SEVERITY_CHOICES}, got {_show(value)}")


def config_from_dict(data: Any, source: str, prefix: str = "") -> Config:
    """Validate a configuration mapping (file contents or editor settings).

    `source` names where it came from in messages (`perfaudit.toml`,
    `package.json`, `settings`); `prefix` is prepended to keys
    (`perfaudit.` for the package.json key). Keys may use `-` or `_`.
    """
    if not isinstance(data, dict):
        raise ConfigError(source, prefix.rstrip("."), f"expected a table of settings, got {_show(data)}")
    config = Config(source=source)
    for raw_key, value in data.items():
        key = raw_key.replace("_", "-") if isinstance(raw_key, str) else raw_key
        where = f"{prefix}{raw_key}"
        if key == "select":
            config.select = [validate_selector(s, source, f"{where}[{i}]") for i, s in enumerate(_string_list(value, source, where))]
        elif key == "ignore":
            config.ignore = [validate_selector(s, source, f"{where}[{i}]") for i, s in enumerate(_string_list(value, source, where))]
        elif key == "exclude":
            config.exclude = _string_list(value, source, where)
        elif key == "unsafe-fixes":
            if not isinstance(value, bool):
                raise ConfigError(source, where, f"expected true or false, got {_show(value)}")
            config.unsafe_fixes = value
        elif key == "roles":
            _read_roles(config, value, source, where)
        elif key == "severity":
            if not isinstance(value, dict):
                raise ConfigError(source, where, f"expected a table of code = severity, got {_show(value)}")
            for code, sev in value.items():
                sel = validate_selector(code, source, f"{where}.{code}")
                if sel.upper() == "ALL":
                    sel = "ALL"
                config.severity[sel] = _parse_severity(sev, source, f"{where}.{code}")
        elif key == "rules":
            if not isinstance(value, dict):
                raise ConfigError(source, where, f"expected a table of rule options, got {_show(value)}")
            for name, opts in value.items():
                rule = _rule_for_key(name)
                if rule is None:
                    raise ConfigError(source, f"{where}.{name}", "unknown rule code or name")
                if not isinstance(opts, dict):
                    raise ConfigError(source, f"{where}.{name}", f"expected a table of options, got {_show(opts)}")
                config.options.setdefault(rule.code, {}).update(opts)
                # Validate now, so a bad option is reported before any analysis.
                _validate_options(rule, opts, source, f"{where}.{name}")
        elif key == "database":
            config.database_url_env = _database_url_env(value, source, where)
        else:
            known = ", ".join(_TOP_LEVEL_KEYS)
            raise ConfigError(source, where, f"unknown setting (known: {known})")
    return config


def _database_url_env(value: Any, source: str, where: str) -> str | None:
    if not isinstance(value, dict):
        raise ConfigError(source, where, f"expected a table (url-env = \"DATABASE_URL\"), got {_show(value)}")
    out = None
    for name, item in value.items():
        if str(name).replace("_", "-") != "url-env":
            raise ConfigError(source, f"{where}.{name}", "unknown setting (known: url-env)")
        if not isinstance(item, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", item):
            raise ConfigError(source, f"{where}.{name}", f"expected an environment variable name, got {_show(item)}")
        out = item
    return out


def _read_roles(config: Config, value: Any, source: str, where: str) -> None:
    if not isinstance(value, dict):
        raise ConfigError(source, where, f"expected a table of role = [globs], got {_show(value)}")
    for raw, globs in value.items():
        key = str(raw).replace("_", "-")
        if key == REPORT_NON_SERVING:
            if not isinstance(globs, bool):
                raise ConfigError(source, f"{where}.{raw}", f"expected true or false, got {_show(globs)}")
            config.report_non_serving = globs
        elif key in ROLE_KEYS:
            config.roles[key] = _string_list(globs, source, f"{where}.{raw}")
        else:
            known = ", ".join(ROLE_KEYS + (REPORT_NON_SERVING,))
            raise ConfigError(source, f"{where}.{raw}", f"unknown role setting (known: {known})")


def _validate_options(rule: Rule, opts: dict, source: str, where: str) -> None:
    by_norm = {_norm_option(k): k for k in rule.options}
    for name, value in opts.items():
        own = by_norm.get(_norm_option(str(name)))
        if own is None:
            known = ", ".join(sorted(rule.options)) or "none"
            raise ConfigError(source, f"{where}.{name}", f"unknown option for {rule.code} (options: {known})")
        expected = _check_option_type(value, rule.options[own])
        if expected:
            raise ConfigError(source, f"{where}.{name}", f"expected {expected}, got {_show(value)}")


def _display(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


def _read_toml(path: str) -> dict:
    shown = _display(path)
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise ConfigError(shown, "", f"cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(shown, "", f"invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(shown, "", f"not UTF-8 text (byte {exc.start})") from None


def _read_package_json(path: str, required: bool) -> dict | None:
    shown = _display(path)
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read().decode("utf-8-sig"))
    except OSError as exc:
        raise ConfigError(shown, "", f"cannot read: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        if not required:
            return None  # a broken package.json is another tool's problem
        raise ConfigError(shown, "", f"invalid JSON: {exc}") from None
    if not isinstance(data, dict) or PACKAGE_KEY not in data:
        if required:
            raise ConfigError(shown, PACKAGE_KEY, "no such key")
        return None
    return data[PACKAGE_KEY]


def load_config(root: str, explicit: str | None = None, use_files: bool = True) -> Config:
    """The configuration for a workspace root.

    `explicit` (`--config`) names a TOML file or a package.json; otherwise
    `perfaudit.toml` at the root, else the `perfaudit` key of the root's
    package.json, else the defaults. `use_files=False` (`--no-config`) gives
    the defaults.
    """
    if explicit:
        path = explicit
        if os.path.basename(path) == PACKAGE_JSON:
            return config_from_dict(_read_package_json(path, True), _display(path), f"{PACKAGE_KEY}.")
        return config_from_dict(_read_toml(path), _display(path))
    if not use_files:
        return Config()
    toml_path = os.path.join(root, CONFIG_FILE)
    if os.path.isfile(toml_path):
        return config_from_dict(_read_toml(toml_path), _display(toml_path))
    pkg = os.path.join(root, PACKAGE_JSON)
    if os.path.isfile(pkg):
        data = _read_package_json(pkg, False)
        if data is not None:
            return config_from_dict(data, _display(pkg), f"{PACKAGE_KEY}.")
    return Config()
