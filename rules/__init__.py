"""One module per rule of the catalogue (shared RULES.md): `<code>_<name>.py`.

Dropping a module here that defines `RULE` registers it (see
`perfaudit.server.registry`).
"""
