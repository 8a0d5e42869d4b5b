"""Editor settings (initialization options, `workspace/configuration` section
`perfaudit`), validated with cattrs and layered over the project's
`perfaudit.toml`.

A setting with a wrong type or an unknown rule code is reported with its key
and ignored; the other settings and the defaults still apply.
"""

from __future__ import annotations

import re
from typing import Any

import attrs
import cattrs

from perfaudit.server.config import Config, ConfigError, config_from_dict

TRACE_LEVELS = ("off", "messages", "verbose")
SOURCE = "settings"


@attrs.define
class EditorSettings:
    enable: bool = True
    select: list[str] | None = None
    ignore: list[str] | None = None
    exclude: list[str] | None = None
    severity: dict[str, str] | None = None
    rules: dict[str, dict[str, Any]] | None = None
    unsafe_fixes: bool = False
    trace: str = "off"
    # Delay before analysing after a keystroke. Changes that arrive while an
    # analysis runs are coalesced whatever the delay, so 0 adds no latency and
    # still never queues one analysis per keystroke.
    debounce_ms: int = 0
    # Request logs for measured route latency (`perfaudit routes --logs`).
    logs: list[str] | None = None
    log_pattern: str | None = None
    # File roles, as `[roles]` of perfaudit.toml: {"script": ["tools/**"],
    # "reportNonServing": false}; globs add to the project's.
    roles: dict[str, Any] | None = None


def _strict(kind):
    def hook(value, _type):
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TypeError(f"expected {kind.__name__}, got {value!r}")
        return value

    return hook


_converter = cattrs.Converter(forbid_extra_keys=True)
for _kind in (bool, int, str):
    _converter.register_structure_hook(_kind, _strict(_kind))

_FIELDS = {f.name: f for f in attrs.fields(attrs.resolve_types(EditorSettings))}
# Keys the project config validates too (rule codes, severities, options).
_CONFIG_KEYS = {"select", "ignore", "exclude", "severity", "rules", "unsafe_fixes", "roles"}


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).replace("-", "_").lower()


def unwrap(raw: Any) -> Any:
    """Some clients nest the settings: {"perfaudit": {...}} or {"settings": {...}}."""
    while isinstance(raw, dict) and len(raw) == 1:
        [(key, inner)] = raw.items()
        if key not in ("perfaudit", "settings") or not isinstance(inner, (dict, list)):
            break
        raw = inner or {}  # `[]`: an empty Lua table (Neovim sends `{}` as an array)
    return raw


def layered(*layers: Any) -> dict:
    """Settings objects merged, later ones winning key by key."""
    out: dict = {}
    for layer in layers:
        layer = unwrap(layer)
        if not isinstance(layer, dict):
            continue
        layer = dict(layer)
        select = layer.get("select")
        ignore = out.get("ignore")
        if isinstance(select, list) and isinstance(ignore, list):
            # As `Config.merged`: a later `select` re-enables what an earlier layer ignored by name.
            named = {str(s).upper() for s in select}
            out["ignore"] = [i for i in ignore if str(i).upper() not in named]
        if isinstance(layer.get("ignore"), list) and isinstance(out.get("ignore"), list):
            layer["ignore"] = out["ignore"] + layer["ignore"]
        for key in ("severity", "rules"):
            if isinstance(layer.get(key), dict) and isinstance(out.get(key), dict):
                layer[key] = {**out[key], **layer[key]}
        out.update(layer)
    return out


def parse_settings(raw: Any) -> tuple[EditorSettings, list[str]]:
    """Valid settings and the problems found (each names its key)."""
    raw = unwrap(raw)
    if raw is None or raw == []:
        # `[]`: an empty table from a Lua client (Neovim encodes `{}` as an array).
        return EditorSettings(), []
    if not isinstance(raw, dict):
        return EditorSettings(), [f"perfaudit: expected an object of settings, got {raw!r}"]
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in raw.items():
        name = _snake(str(key))
        where = f"perfaudit.{key}"
        field = _FIELDS.get(name)
        if field is None:
            problems.append(f"{where}: unknown setting")
            continue
        if value is None:
            continue
        try:
            value = _converter.structure(value, field.type)
        except Exception as exc:  # cattrs raises several kinds; all mean "wrong type"
            problems.append(f"{where}: {_describe(exc)}")
            continue
        if name == "trace" and value not in TRACE_LEVELS:
            problems.append(f"{where}: expected one of {', '.join(TRACE_LEVELS)}, got {value!r}")
            continue
        if name == "debounce_ms" and not 0 <= value <= 5000:
            problems.append(f"{where}: expected 0 to 5000 milliseconds, got {value!r}")
            continue
        if name == "roles":  # `reportNonServing` as an editor spells it; `report-non-serving` in perfaudit.toml
            value = {_snake(str(k)).replace("_", "-"): v for k, v in value.items()}
        if name in _CONFIG_KEYS:
            try:
                config_from_dict({name.replace("_", "-"): value}, SOURCE, "perfaudit.")
            except ConfigError as exc:
                problems.append(f"{exc.key or where}: {exc.problem}")
                continue
        values[name] = value
    return EditorSettings(**values), problems


def _describe(exc: Exception) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        messages = cattrs.transform_error(exc)
        return "; ".join(messages) if messages else str(exc)
    return str(exc)


def apply_settings(base: Config, settings: EditorSettings) -> Config:
    """The project config with the editor's settings on top."""
    given = {k: getattr(settings, k) for k in ("select", "ignore", "exclude", "severity", "rules", "roles")}
    given = {k: v for k, v in given.items() if v is not None}
    editor = config_from_dict({k: v for k, v in given.items()}, SOURCE, "perfaudit.") if given else Config()
    roles = given.get("roles", {})
    return base.merged(
        select=editor.select if "select" in given else None,
        ignore=editor.ignore if "ignore" in given else None,
        exclude=editor.exclude if "exclude" in given else None,
        severity=editor.severity if "severity" in given else None,
        options=editor.options if "rules" in given else None,
        unsafe_fixes=True if settings.unsafe_fixes else None,
        roles=editor.roles if editor.roles else None,
        report_non_serving=editor.report_non_serving if "report-non-serving" in roles else None,
    )
