"""Checking an open file again after an edit inside one function's body.

Typing lands inside one function. Its facts are spliced into the file's
(analysis/splice.py); the rules whose findings in a function depend on that
function alone (`Rule.local`) check just it (`Engine.check_function`); every
other finding moves with the text. What the edit may change elsewhere in the
file (a loop in another method that calls this one, rules that read the
whole file) is brought up to date by a whole check of the file once typing
pauses: the caller schedules it. While an edit leaves the syntax broken
beyond its function, the last findings are held, moved with the text
(`_held`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import tree_sitter

from perfaudit.server.analysis.splice import Span, edited_function, edited_span, error_span, splice_facts
from perfaudit.server.analysis.loops import ITERATING_METHODS, PROMISE_COMBINATORS
from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.analysis.syntax import WRAPPERS, call_function
from perfaudit.server.findings import Finding, shift


@dataclass(frozen=True)
class Analysed:
    """What the last analysis of an open document saw and found."""

    data: bytes
    errors: tuple[int, int] | None  # the stretch that holds its tree's syntax errors
    findings: list[Finding]

    @classmethod
    def whole(cls, data: bytes, tree: tree_sitter.Tree, findings: list[Finding]) -> "Analysed":
        return cls(data, error_span(tree), findings)


@dataclass(frozen=True)
class EditCheck:
    findings: list[Finding]
    analysed: Analysed
    # The edit broke the syntax beyond its function: nothing was analysed,
    # the last findings moved with the text (see `_held`).
    held: bool = False


def check_edit(engine, path: str, last: Analysed, parsed: Callable[[], tree_sitter.Tree], data: bytes,
               version=None) -> EditCheck | None:
    """The file rules' findings for `data` (`parsed()` gives its tree),
    from the last analysis; None when the edit is not inside one function's
    body (or the splice is not certain): the caller checks the whole file."""
    ws = engine.ws
    source = ws.files.get(path)
    if source is None or source.raw_data != last.data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:  # the whole path replaces what does not decode
        return None
    span = edited_span(last.data, data)
    if span is None:
        return None
    # Brackets left open: held without a parse (recovering from them costs
    # tree-sitter 100 ms and more on a long file).
    held = _held(source.facts, last, data, path, span, broken=_open_brackets)
    if held is not None:
        return held
    tree = parsed()
    spliced = splice_facts(source.facts, last.data, last.errors, tree, data, source.language, span)
    if spliced is None:
        return _held(source.facts, last, data, path, span, broken=lambda _: tree.root_node.has_error)
    if _per_item_callback(spliced.unit):
        return None
    ws.set_source(path, text, tree=tree, keep_tree=True, version=version, facts=spliced.facts)
    local = {rule.code for rule in engine.enabled_rules() if rule.local}
    found, deferred = engine.check_function(path, spliced.unit, local)
    # Those found again drop their last findings in the function; a rule
    # deferred (a route model this edit made stale) keeps its own, moved.
    start, end = spliced.old_range
    again = local - deferred
    kept = [f for f in last.findings if not (f.code in again and f.path == path and start <= f.start and f.end <= end)]
    findings = _moved(kept, path, spliced.edit) + found
    return EditCheck(findings, Analysed(data, spliced.errors, findings))


def _held(facts, last: Analysed, data: bytes, path: str, span: tuple[int, int, int], broken) -> EditCheck | None:
    """Typing inside a function often leaves its syntax broken for a few
    keystrokes (`for (c`, `const x =`), and tree-sitter's recovery may then
    read the rest of the file differently (an open brace swallows the
    methods after it). What the whole path would find in that text is noise
    that comes and goes. So while the last analysed text was clean outside
    one function, the edit since lies inside that function's body and
    `broken(its new text)`, the last findings are kept, moved with the text
    (those the edit touched are dropped), and the file is analysed whole
    once typing pauses (the caller schedules it)."""
    index = edited_function(facts, span[0], span[1])
    if index is None:
        return None
    unit = facts.functions[index]
    if last.errors is not None and not (unit.start <= last.errors[0] and last.errors[1] <= unit.end):
        return None  # the last analysis read broken text outside the function: not worth keeping
    if not broken(data[unit.start:unit.end + span[2] - span[1]]):
        return None
    return EditCheck(_moved(last.findings, path, Span(*span)), last, held=True)


def _moved(findings: list[Finding], path: str, edit) -> list[Finding]:
    """The findings after an edit of `path`, moved with the text (dropped
    where the edit touched them)."""
    return [m for m in (shift(f, path, edit) for f in findings) if m is not None]


_CLOSING = {ord("("): ord(")"), ord("["): ord("]"), ord("{"): ord("}")}
_TEMPLATE = -1  # on the stack: inside a template literal's text
_NEXT_CODE = re.compile(rb"[(){}\[\]'\"`/]")
_NEXT_IN_TEMPLATE = re.compile(rb"[`\\]|\$\{")


def _open_brackets(text: bytes) -> bool:
    """Whether the brackets of a function's text fail to pair up (strings,
    template literals and comments skipped; a regular expression literal
    with a bracket in it reads as open, which only means a wait): a guess,
    before any parse, that its syntax is broken past its end."""
    stack: list[int] = []
    i, n = 0, len(text)
    while i < n:
        if stack and stack[-1] == _TEMPLATE:
            m = _NEXT_IN_TEMPLATE.search(text, i)
            if m is None:
                return True
            token, i = m.group(), m.end()
            if token == b"\\":
                i += 1  # the escaped character
            elif token == b"`":
                stack.pop()
            else:  # `${`: code until its `}`
                stack.append(ord("}"))
            continue
        m = _NEXT_CODE.search(text, i)
        if m is None:
            break
        c, i = text[m.start()], m.end()
        if c in (ord("'"), ord('"')):
            while i < n and text[i] != c and text[i] != ord("\n"):
                i += 2 if text[i] == ord("\\") else 1
            i += 1
        elif c == ord("`"):
            stack.append(_TEMPLATE)
        elif c == ord("/") and text[i:i + 1] == b"/":
            end = text.find(b"\n", i)
            i = n if end < 0 else end
        elif c == ord("/") and text[i:i + 1] == b"*":
            end = text.find(b"*/", i + 1)
            if end < 0:
                return True
            i = end + 2
        elif c in _CLOSING:
            stack.append(_CLOSING[c])
        elif c != ord("/") and (not stack or stack.pop() != c):
            return True
    return bool(stack)


def _per_item_callback(node) -> bool:
    """A callback that runs per item (`ids.forEach(async (id) => ...)`,
    `Promise.all(ids.map(...))`): rules about loops and fan-out read the
    call around it, which lies outside the function. Other callbacks (a
    route handler: `router.get('/', async (req, res) => ...)`) are checked
    alone like any function."""
    parent = node.parent
    while parent is not None and parent.type in WRAPPERS:
        parent = parent.parent
    if parent is None or parent.type != "arguments":
        return False
    call = parent.parent
    fn = call_function(call) if call is not None and call.type == "call_expression" else None
    if fn is None or fn.type != "member_expression":
        return False
    prop = fn.child_by_field_name("property")
    return prop is None or node_text(prop) in _PER_ITEM


_PER_ITEM = ITERATING_METHODS | PROMISE_COMBINATORS | {"findLast", "findLastIndex", "sort", "flatMap"}
