"""The project's own config files read as their tools read them.

tsconfig/jsconfig: JSON with comments and trailing commas (TypeScript's own
reader accepts both), through `json5`, a superset of that. package.json:
strict JSON, as Node reads it. pnpm-workspace.yaml: YAML. Each reader
returns the value and, when the text is broken, one message saying why; the
caller keeps a fallback value and reports the message once for the file.
"""

from __future__ import annotations

import json

import json5
import yaml


def read_tsconfig(text: str) -> tuple[dict, str | None]:
    text = text.removeprefix("\ufeff")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        try:
            value = json5.loads(text)
        except Exception as exc:  # json5 raises ValueError, deep nesting RecursionError
            return {}, f"not readable as JSON with comments ({_first_line(exc)}); its settings are ignored"
    if not isinstance(value, dict):
        return {}, "not a JSON object; its settings are ignored"
    return value, None


def read_package_json(text: str) -> tuple[dict, str | None]:
    text = text.removeprefix("\ufeff")  # Node drops a byte-order mark too
    try:
        value = json.loads(text)
    except ValueError as exc:
        # Node would refuse the package; still use what a lenient reader sees.
        try:
            lenient = json5.loads(text)
        except Exception:  # ValueError, RecursionError
            lenient = None
        fallback = lenient if isinstance(lenient, dict) else {}
        return fallback, f"not valid JSON ({_first_line(exc)})"
    except RecursionError:
        return {}, "not valid JSON (nested too deeply)"
    if not isinstance(value, dict):
        return {}, "not a JSON object"
    return value, None


def read_yaml(text: str) -> tuple[dict, str | None]:
    try:
        value = yaml.safe_load(text)
    except Exception as exc:  # yaml.YAMLError, and RecursionError on deep nesting
        return {}, f"not valid YAML ({_first_line(exc)})"
    if value is None:
        return {}, None
    if not isinstance(value, dict):
        return {}, "not a YAML mapping"
    return value, None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
