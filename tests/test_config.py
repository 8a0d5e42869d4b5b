"""Configuration: file discovery, validation errors that name file and key, selection."""

from __future__ import annotations

import json

import pytest

from perfaudit.server import registry
from perfaudit.server.config import Config, ConfigError, config_from_dict, load_config
from perfaudit.server.findings import Severity
from perfaudit.server.rule import FixAvailability, Rule


def _rules() -> dict[str, Rule]:
    rules = [
        Rule("P101", "prisma-no-select", "Reads every column.", fix=FixAvailability.SOMETIMES),
        Rule("P102", "prisma-unbounded-find-many", "findMany without take.", options={"default-take": 100}),
        Rule("P104", "prisma-query-in-loop", "N+1.", severity=Severity.ERROR),
        Rule("R201", "redis-set-without-ttl", "No TTL.", options={"default-ttl": 300, "allow-keys": []}),
        Rule("E302", "express-no-timing-middleware", "No timing.", options={"slow-ms": 1000, "enabled": True}),
        registry.UNKNOWN_SUPPRESSION,
    ]
    return {r.code: r for r in rules}


@pytest.fixture(autouse=True)
def fake_registry(monkeypatch):
    rules = _rules()
    monkeypatch.setattr(registry, "all_rules", lambda: rules)
    return rules


def write(tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")


# --- selection -----------------------------------------------------------------


def test_defaults_enable_everything():
    config = Config()
    assert all(config.enabled(code) for code in ["P101", "P102", "R201", "E302", "X001"])


def test_prefix_select_and_more_specific_ignore_wins():
    config = Config(select=["P1", "R"], ignore=["P101"])
    assert not config.enabled("P101")
    assert config.enabled("P102")
    assert config.enabled("R201")
    assert not config.enabled("E302")


def test_more_specific_select_beats_less_specific_ignore():
    config = Config(select=["P101"], ignore=["P"])
    assert config.enabled("P101")
    assert not config.enabled("P102")


def test_equal_specificity_ignore_wins():
    assert not Config(select=["P1"], ignore=["P1"]).enabled("P101")


def test_select_and_ignore_by_rule_name():
    config = Config(select=["prisma-no-select", "R"], ignore=["redis-set-without-ttl"])
    assert config.enabled("P101")
    assert not config.enabled("P102")
    assert not config.enabled("R201")


def test_unknown_suppression_rule_stays_on_unless_ignored():
    assert Config(select=["P1"]).enabled("X001")
    assert not Config(ignore=["X001"]).enabled("X001")
    assert not Config(ignore=["unknown-rule-in-suppression"]).enabled("X001")


# --- severity and options --------------------------------------------------------


def test_severity_override_by_code_prefix_and_name(fake_registry):
    config = config_from_dict(
        {"severity": {"P1": "info", "P102": "error", "redis-set-without-ttl": "hint"}}, "perfaudit.toml"
    )
    assert config.severity_for(fake_registry["P101"]) == Severity.INFORMATION
    assert config.severity_for(fake_registry["P102"]) == Severity.ERROR
    assert config.severity_for(fake_registry["R201"]) == Severity.HINT
    # not configured: the rule's default
    assert config.severity_for(fake_registry["E302"]) == Severity.WARNING
    assert Config().severity_for(fake_registry["P104"]) == Severity.ERROR


def test_options_overlay_defaults_by_code_or_name(fake_registry):
    config = config_from_dict(
        {"rules": {"P102": {"default-take": 50}, "redis-set-without-ttl": {"default_ttl": 60}}}, "perfaudit.toml"
    )
    assert config.options_for(fake_registry["P102"]) == {"default-take": 50}
    assert config.options_for(fake_registry["R201"]) == {"default-ttl": 60, "allow-keys": []}
    assert config.options_for(fake_registry["E302"]) == {"slow-ms": 1000, "enabled": True}


def test_options_for_rejects_an_unknown_option_set_later(fake_registry):
    config = Config(options={"P102": {"default-takes": 5}}, source="settings")
    with pytest.raises(ConfigError) as exc:
        config.options_for(fake_registry["P102"])
    assert str(exc.value).startswith("settings: rules.P102.default-takes: unknown option")


# --- errors name the file and the key -----------------------------------------------


@pytest.mark.parametrize(
    "toml, expected",
    [
        ('[severity]\nP102 = "loud"\n',
         'perfaudit.toml: severity.P102: expected one of error|warning|information|hint, got "loud"'),
        ('select = "P1"\nignore = [3]\n', "perfaudit.toml: ignore[0]: expected a string, got 3"),
        ('select = ["Q9Z"]\n', 'perfaudit.toml: select[0]: unknown rule code, prefix or name "Q9Z"'),
        ('[rules.P102]\ndefault-take = "fifty"\n', 'perfaudit.toml: rules.P102.default-take: expected an integer, got "fifty"'),
        ('[rules.P102]\ndefault-tak = 5\n', "perfaudit.toml: rules.P102.default-tak: unknown option for P102"),
        ('[rules.P999]\nx = 1\n', "perfaudit.toml: rules.P999: unknown rule code or name"),
        ('[rules.E302]\nenabled = 1\n', "perfaudit.toml: rules.E302.enabled: expected a boolean, got 1"),
        ('selct = ["P1"]\n', "perfaudit.toml: selct: unknown setting"),
        ('exclude = "dist/**"\nunsafe-fixes = "yes"\n', 'perfaudit.toml: unsafe-fixes: expected true or false, got "yes"'),
        ("select = [\n", "perfaudit.toml: invalid TOML"),
    ],
)
def test_toml_errors_name_file_and_key(tmp_path, monkeypatch, toml, expected):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "perfaudit.toml", toml)
    with pytest.raises(ConfigError) as exc:
        load_config(str(tmp_path))
    assert str(exc.value).startswith(expected), str(exc.value)


def test_error_outside_cwd_shows_the_full_path(tmp_path, monkeypatch):
    (tmp_path / "proj").mkdir()
    (tmp_path / "other").mkdir()
    write(tmp_path / "proj", "perfaudit.toml", '[severity]\nP102 = "loud"\n')
    monkeypatch.chdir(tmp_path / "other")
    with pytest.raises(ConfigError) as exc:
        load_config(str(tmp_path / "proj"))
    assert str(exc.value).startswith(f"{tmp_path / 'proj' / 'perfaudit.toml'}: severity.P102:")


def test_package_json_key_errors_carry_the_key_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "package.json", json.dumps({"name": "api", "perfaudit": {"severity": {"P101": "fatal"}}}))
    with pytest.raises(ConfigError) as exc:
        load_config(str(tmp_path))
    assert str(exc.value).startswith('package.json: perfaudit.severity.P101: expected one of')


# --- loading ---------------------------------------------------------------------


def test_full_toml_shape(tmp_path, fake_registry):
    write(tmp_path, "perfaudit.toml", """
select = ["P1", "R"]
ignore = ["P101"]
exclude = ["src/generated/**"]
unsafe-fixes = true

[severity]
P102 = "error"

[rules.P102]      # options, by code or rule name
default-take = 50
""")
    config = load_config(str(tmp_path))
    assert config.select == ["P1", "R"]
    assert config.ignore == ["P101"]
    assert config.exclude == ["src/generated/**"]
    assert config.unsafe_fixes is True
    assert config.severity == {"P102": Severity.ERROR}
    assert config.options_for(fake_registry["P102"]) == {"default-take": 50}
    assert config.source.endswith("perfaudit.toml")


def test_package_json_key(tmp_path):
    write(tmp_path, "package.json", json.dumps({"name": "api", "perfaudit": {"ignore": ["R"], "exclude": ["scripts"]}}))
    config = load_config(str(tmp_path))
    assert config.ignore == ["R"]
    assert not config.enabled("R201")
    assert config.is_excluded("scripts/seed.ts")


def test_toml_wins_over_package_json(tmp_path):
    write(tmp_path, "package.json", json.dumps({"perfaudit": {"ignore": ["R"]}}))
    write(tmp_path, "perfaudit.toml", 'ignore = ["E"]\n')
    assert load_config(str(tmp_path)).ignore == ["E"]


def test_package_json_without_key_or_broken_gives_defaults(tmp_path):
    write(tmp_path, "package.json", json.dumps({"name": "api"}))
    assert load_config(str(tmp_path)) == Config()
    write(tmp_path, "package.json", "{ not json")
    assert load_config(str(tmp_path)) == Config()


def test_no_config_and_explicit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "perfaudit.toml", 'ignore = ["E"]\n')
    write(tmp_path, "ci.toml", 'ignore = ["R"]\n')
    assert load_config(str(tmp_path), use_files=False) == Config()
    assert load_config(str(tmp_path), explicit=str(tmp_path / "ci.toml")).ignore == ["R"]
    with pytest.raises(ConfigError) as exc:
        load_config(str(tmp_path), explicit="missing.toml")
    assert str(exc.value).startswith("missing.toml: cannot read")


def test_explicit_package_json_without_key_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "package.json", "{}")
    with pytest.raises(ConfigError, match=r"^package.json: perfaudit: no such key"):
        load_config(str(tmp_path), explicit="package.json")


# --- exclude ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, path, excluded",
    [
        ("src/generated/**", "src/generated/client.ts", True),
        ("src/generated/**", "src/generated/deep/x/client.ts", True),
        ("src/generated/**", "src/generatedx/client.ts", False),
        ("src/generated", "src/generated/client.ts", True),
        ("*.spec.ts", "src/users/users.spec.ts", True),
        ("*.spec.ts", "src/users/users.ts", False),
        ("**/fixtures/*.ts", "test/unit/fixtures/a.ts", True),
        ("**/fixtures/*.ts", "fixtures/a.ts", True),
        ("scripts/*.ts", "scripts/seed.ts", True),
        ("scripts/*.ts", "src/scripts/seed.ts", False),
        ("/legacy/", "legacy/old.ts", True),
        ("src/?.ts", "src/a.ts", True),
        ("src/[ab].ts", "src/c.ts", False),
    ],
)
def test_exclude_globs(pattern, path, excluded):
    assert Config(exclude=[pattern]).is_excluded(path) is excluded
    assert Config(exclude=[pattern]).is_excluded("./" + path) is excluded


# --- merging ---------------------------------------------------------------------


def test_merged_overrides_without_touching_the_original():
    base = Config(select=["P"], ignore=["P101", "P104"], exclude=["a/**"], severity={"P102": Severity.ERROR})
    merged = base.merged(select=["P101", "R"], ignore=["R201"], exclude=["b/**"], severity={"P102": "hint"},
                         unsafe_fixes=True, options=None)
    assert merged.select == ["P101", "R"]
    assert merged.ignore == ["P104", "R201"]  # the explicit --select P101 re-enables it
    assert merged.enabled("P101") and not merged.enabled("R201")
    assert merged.exclude == ["a/**", "b/**"]
    assert merged.severity == {"P102": Severity.HINT}
    assert merged.unsafe_fixes
    assert base.select == ["P"] and base.ignore == ["P101", "P104"] and base.severity == {"P102": Severity.ERROR}
    assert base.merged() == base


def test_merged_rejects_unknown_settings():
    with pytest.raises(TypeError):
        Config().merged(selct=["P"])
