"""perfaudit's analysis engine and its two faces (the CLI, the language server).

`analysis/` is the framework-free core; `prisma/`, `redis/`, `express/` and
`node/` are wings that register what they know with it; `cli/` and `lsp/`
are the faces. Before the first workspace is made, the wings and the rules
are loaded, so that every fact extractor and call classifier is in place.
"""

from perfaudit.server.analysis.workspace import before_first_workspace


def _load_wings_and_rules() -> None:
    # Order matters only for the order of a call's effects: queries first.
    from perfaudit.server import prisma  # noqa: F401
    from perfaudit.server import node  # noqa: F401
    from perfaudit.server import redis  # noqa: F401
    from perfaudit.server import express  # noqa: F401
    from perfaudit.server.registry import all_rules

    all_rules()


before_first_workspace(_load_wings_and_rules)
