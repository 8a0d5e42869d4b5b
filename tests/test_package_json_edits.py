"""Adding dependencies to a package.json the way the file is written."""

import json

from perfaudit.server.node.package_json import add_dependencies


def apply(text: str, wanted: dict) -> str:
    data = text.encode()
    for e in sorted(add_dependencies("/p/package.json", text, wanted), key=lambda e: e.start, reverse=True):
        data = data[: e.start] + e.new_text.encode() + data[e.end :]
    out = data.decode()
    json.loads(out)
    return out


def test_sorted_insertion_first_middle_last_and_several_at_one_point():
    text = '{\n  "dependencies": {\n    "b": "1",\n    "d": "1"\n  }\n}\n'
    out = apply(text, {"dependencies": {"a": "2", "c": "2", "c2": "2", "e": "2"}})
    assert out == '{\n  "dependencies": {\n    "a": "2",\n    "b": "1",\n    "c": "2",\n    "c2": "2",\n    "d": "1",\n    "e": "2"\n  }\n}\n'


def test_empty_section_compact_file_crlf_and_non_ascii():
    assert apply('{"dependencies": {}}', {"dependencies": {"x": "1"}}) == '{"dependencies": {\n  "x": "1"\n}}'
    crlf = '{\r\n  "description": "café",\r\n  "dependencies": {\r\n    "a": "1"\r\n  }\r\n}\r\n'
    assert apply(crlf, {"dependencies": {"b": "1"}}) == '{\r\n  "description": "café",\r\n  "dependencies": {\r\n    "a": "1",\r\n    "b": "1"\r\n  }\r\n}\r\n'


def test_nested_keys_of_the_same_name_are_not_the_section():
    text = '{\n  "pnpm": {"dependencies": {"z": "1"}},\n  "dependencies": {\n    "a": "1"\n  }\n}\n'
    out = apply(text, {"dependencies": {"b": "1"}})
    assert json.loads(out)["pnpm"] == {"dependencies": {"z": "1"}}
    assert json.loads(out)["dependencies"] == {"a": "1", "b": "1"}


def test_no_edit_for_what_is_there_or_for_text_that_is_not_json():
    assert add_dependencies("/p/package.json", '{"dependencies": {"a": "1"}}', {"dependencies": {"a": "2"}}) == []
    assert add_dependencies("/p/package.json", '{"dependencies": {', {"dependencies": {"a": "2"}}) == []
    assert add_dependencies("/p/package.json", '[1, 2]', {"dependencies": {"a": "2"}}) == []
