"""Node.js calls that cost a request its time: synchronous blocking I/O
(`fs.readFileSync`, `bcrypt.hashSync`) and outgoing HTTP. Registered with the
index as a call classifier."""

from __future__ import annotations

from perfaudit.server.analysis.effects import Effect
from perfaudit.server.analysis.facts import CallFact, FunctionFact

BLOCKING_MODULES = {"fs", "crypto", "zlib", "child_process"}
BLOCKING_BCRYPT = {"hashSync", "compareSync", "genSaltSync"}
HTTP_MODULES = {"axios", "got", "node-fetch", "undici", "superagent", "ky"}


def classify_node_call(index, path: str, fn: FunctionFact | None, call: CallFact):
    if not call.callee or call.is_new:
        return ()
    imported = lambda local: index.imported_module(path, local)
    out = []
    blocking = blocking_call(call.callee, imported)
    if blocking:
        out.append(Effect("blocking", blocking, "", path, call.start, call.end))
    http = http_call(call.callee, imported)
    if http:
        out.append(Effect("http", http, "", path, call.start, call.end))
    return out


def may_block(call: CallFact) -> bool:
    """What `blocking_call` can say yes to, told by the name alone (no resolution)."""
    return bool(call.callee) and (call.callee[-1].endswith("Sync") or call.callee[-1] in BLOCKING_BCRYPT)


def blocking_call(callee: tuple[str, ...], imported_from) -> str | None:
    """The name of a synchronous blocking call (`fs.readFileSync`), or None.

    `imported_from(local)` returns the module a local name was imported from.
    """
    if not callee:
        return None
    last = callee[-1]
    if len(callee) == 1:
        module = _module_name(imported_from(last))
        if last.endswith("Sync") and module in BLOCKING_MODULES:
            return f"{module}.{last}"
        if last in BLOCKING_BCRYPT and module in ("bcrypt", "bcryptjs"):
            return f"bcrypt.{last}"
        return None
    root = callee[0]
    module = _module_name(imported_from(root)) or root
    if last.endswith("Sync") and (module in BLOCKING_MODULES or root in BLOCKING_MODULES):
        return f"{module}.{last}"
    if last in BLOCKING_BCRYPT and (module in ("bcrypt", "bcryptjs") or root in ("bcrypt", "bcryptjs")):
        return f"bcrypt.{last}"
    return None


def _module_name(spec: str | None) -> str | None:
    if not spec:
        return None
    spec = spec.removeprefix("node:")
    return spec.split("/")[0]


def http_call(callee: tuple[str, ...], imported_from) -> str | None:
    if not callee:
        return None
    if callee == ("fetch",):
        return "fetch"
    module = _module_name(imported_from(callee[0]))
    if module in HTTP_MODULES:
        return ".".join(callee)
    if callee[0] in ("axios", "got") and len(callee) <= 2:
        return ".".join(callee)
    if module in ("http", "https") and callee[-1] in ("get", "request"):
        return ".".join(callee)
    return None
