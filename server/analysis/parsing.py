"""tree-sitter parsing of TypeScript and JavaScript, with incremental re-parse."""

from __future__ import annotations

import os
import sys
import threading
from functools import lru_cache

import tree_sitter
import tree_sitter_typescript

TYPESCRIPT_EXTENSIONS = {".ts", ".mts", ".cts"}
TSX_EXTENSIONS = {".tsx"}
# Plain JavaScript (and JSX) parses with the TSX grammar, a superset of it
# that understands JSX; the TypeScript grammar would misread `<div>`.
JAVASCRIPT_EXTENSIONS = {".js", ".mjs", ".cjs", ".jsx"}
SOURCE_EXTENSIONS = TYPESCRIPT_EXTENSIONS | TSX_EXTENSIONS | JAVASCRIPT_EXTENSIONS


def language_for(path: str) -> str | None:
    ext = os.path.splitext(path)[1].lower()
    if path.endswith(".d.ts"):
        return None  # declarations only: nothing runs there
    if ext in TYPESCRIPT_EXTENSIONS:
        return "typescript"
    if ext in TSX_EXTENSIONS or ext in JAVASCRIPT_EXTENSIONS:
        return "tsx"
    return None


@lru_cache(maxsize=None)
def grammar(name: str) -> tree_sitter.Language:
    if name == "typescript":
        return tree_sitter.Language(tree_sitter_typescript.language_typescript())
    return tree_sitter.Language(tree_sitter_typescript.language_tsx())


_parsers = threading.local()


def _parser(name: str) -> tree_sitter.Parser:
    # One per thread: a Parser is not safe to share (the server parses in
    # its analysis thread and, for incremental edits, on the event loop).
    by_name = getattr(_parsers, "by_name", None)
    if by_name is None:
        by_name = _parsers.by_name = {}
    if name not in by_name:
        by_name[name] = tree_sitter.Parser(grammar(name))
    return by_name[name]


def parse(data: bytes, language: str, old_tree: tree_sitter.Tree | None = None) -> tree_sitter.Tree:
    parser = _parser(language)
    if old_tree is not None:
        return parser.parse(data, old_tree)
    return parser.parse(data)


def walk(node: tree_sitter.Node):
    """Every node under `node` (itself included), in source order.

    For small subtrees: rules find candidates through `SourceFile.nodes`,
    which runs in C, and walk only what they look inside."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def node_text(node: tree_sitter.Node) -> str:
    if node.text is None:
        return ""
    text = node.text.decode("utf-8", errors="replace")
    # Short texts are names that recur across thousands of facts: one copy each.
    return sys.intern(text) if len(text) <= 48 else text


# Node kinds that facts extraction and rules look for; `nodes_by_kind`
# collects them in one query, run once per tree for both.
INDEXED_KINDS = (
    "call_expression",
    "new_expression",
    "await_expression",
    "statement_block",
    "for_statement",
    "for_in_statement",
    "while_statement",
    "do_statement",
    "arrow_function",
    "function_expression",
    "function_declaration",
    "method_definition",
    "class_declaration",
    "assignment_expression",
    "variable_declarator",
    "generator_function_declaration",
    "abstract_class_declaration",
    "class",
    "return_statement",
)


@lru_cache(maxsize=None)
def _kinds_query(language: str) -> tree_sitter.Query:
    return tree_sitter.Query(grammar(language), "\n".join(f"({k}) @{k}" for k in INDEXED_KINDS))


def position_key(node) -> tuple:
    """Source order, outer before inner: what every list of nodes is sorted by."""
    return node.start_byte, -node.end_byte, node.kind_id


def captures(query: tree_sitter.Query, node) -> dict[str, list]:
    """A query's captures by name, each list in source order.

    tree-sitter's `QueryCursor.captures()` gives no stable order: code that
    took "the first" capture resolved a name at random."""
    found = tree_sitter.QueryCursor(query).captures(node)
    return {name: sorted(nodes, key=position_key) for name, nodes in found.items()}


_last_nodes: tuple | None = None  # (tree, language, its nodes): extraction then rules ask about the same tree


def nodes_by_kind(tree: tree_sitter.Tree, language: str) -> dict[str, list]:
    """The nodes of each of `INDEXED_KINDS`, in source order (kept for the
    last tree asked about, so extraction and rules share one query)."""
    global _last_nodes
    last = _last_nodes
    if last is not None and last[0] is tree and last[1] == language:
        return last[2]
    found = captures(_kinds_query(language), tree.root_node)
    _last_nodes = (tree, language, found)
    return found


def nodes_under(node: tree_sitter.Node, language: str) -> dict[str, list]:
    """`nodes_by_kind` for one subtree (itself included): an edited function."""
    return captures(_kinds_query(language), node)


def node_at_span(tree: tree_sitter.Tree, start: int, end: int, kind: str = "call_expression"):
    """The node of `kind` spanning exactly [start, end) (a fact's call), or None."""
    node = tree.root_node.descendant_for_byte_range(start, end)
    while node is not None and not (node.type == kind and node.start_byte == start and node.end_byte == end):
        node = node.parent
    return node


def arguments(call_node) -> list:
    """The argument nodes of a call (comments left out)."""
    args = call_node.child_by_field_name("arguments") if call_node is not None else None
    if args is None or args.type != "arguments":
        return []
    return [a for a in args.named_children if a.type != "comment"]
