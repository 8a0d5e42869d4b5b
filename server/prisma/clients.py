"""Where the Prisma client a query runs on comes from.

`client_origin` follows a receiver (`prisma`, `this.prisma`, `db`, `tx`)
to the module that provides its client class: through locals, parameters
(typed, or the `tx` of `x.$transaction(async (tx) => ...)`), module
bindings, imports and re-exports, `this.` members and statics, NestJS
services that `extends PrismaClient`, `client.$extends(...)`, and what a
workspace function returns (`getPrisma()`, `Db.getInstance()`). It stops at the first
module the index cannot open (`@prisma/client`, a generated client's
folder, a workspace package built to `dist/`) and says which file named
it; or at a workspace file when the client is declared in the workspace
(a committed generated client). What cannot be followed gives None.

The index resolves names to workspace code and stops at what is external;
this walk is the Prisma wing's, because what matters here is *which*
external module, as written in *which* file.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfaudit.server.analysis.facts import ValueRef

MAX_DEPTH = 12


@dataclass(frozen=True)
class Origin:
    """`spec` as imported by the file `path`; spec "" means the client
    class is declared in `path` itself."""

    path: str
    spec: str


class _Walk:
    def __init__(self, index):
        self.index = index
        self.read: set[str] = set()  # files the answer depends on

    def facts(self, path: str):
        self.read.add(path)
        return self.index.facts(path)

    def module(self, path: str, spec: str) -> str | None:
        target = self.index.resolve_module(path, spec)
        if target is not None:
            self.read.add(target)
        return target

    # ------------------------------------------------------------ values

    def receiver(self, path: str, fn, parts: tuple[str, ...], depth: int) -> Origin | None:
        if not parts or depth > MAX_DEPTH:
            return None
        if parts[-1].endswith("()"):  # `getPrisma()`, `Db.getInstance()`
            return self.returned(path, fn, parts[:-1] + (parts[-1][:-2],), depth + 1)
        if parts[0] == "this":
            cls = fn.class_name if fn is not None else None
            if not cls:
                return None
            if len(parts) == 1:  # inside `class PrismaService extends PrismaClient`
                return self.class_origin(path, cls, depth + 1)
            if len(parts) == 2:
                return self.member(path, cls, parts[1], depth + 1)
        if len(parts) == 1:
            return self.name(path, fn, parts[0], depth + 1)
        # `this.db.client`, `deps.prisma`, `database.prisma`: the owner through the index.
        owner = self.index.resolve_path(path, parts[:-1], fn)
        if owner is None:
            return None
        if owner.path:
            self.read.add(owner.path)
        if owner.kind == "module":
            return self.exported(owner.path, parts[-1], depth + 1)
        if owner.kind in ("instance", "class"):  # `Db.instance`: a static member
            return self.member(owner.path, owner.name, parts[-1], depth + 1)
        if owner.kind == "object":
            facts = self.facts(owner.path)
            obj = facts.object(owner.name) if facts is not None else None
            ref = obj.member(parts[-1]) if obj is not None else None
            return self.ref(owner.path, ref, None, depth + 1) if ref is not None else None
        return None

    def name(self, path: str, fn, name: str, depth: int) -> Origin | None:
        facts = self.facts(path)
        if facts is None or depth > MAX_DEPTH:
            return None
        found = facts.name_in_scope(fn, name)
        if found is not None:
            if found.ref is not None:
                return self.ref(path, found.ref, found.scope, depth + 1)
            return self.transaction_client(path, facts, found.scope, found.index, depth + 1)
        imp = facts.import_of(name)
        if imp is None:
            return None
        target = self.module(path, imp.module)
        if target is None:
            return Origin(path, imp.module)
        return self.exported(target, imp.imported, depth + 1) or Origin(target, "")

    def transaction_client(self, path: str, facts, fn, param_index: int, depth: int) -> Origin | None:
        """The first parameter of `client.$transaction(async (tx) => ...)`
        is a client of the same schema as `client`."""
        if param_index != 0 or fn.parent is None and not facts.module_calls:
            return None
        parent = facts.function(fn.parent) if fn.parent else None
        calls = parent.calls if parent is not None else facts.module_calls
        for call in calls:
            if call.method == "$transaction" and len(call.callee) >= 2 and any(cb == fn.id for _, cb in call.callbacks):
                return self.receiver(path, parent, call.callee[:-1], depth + 1)
        return None

    def ref(self, path: str, ref: ValueRef, fn, depth: int) -> Origin | None:
        if depth > MAX_DEPTH:
            return None
        parts = tuple(ref.name.split("."))
        if ref.kind == "require":
            target = self.module(path, ref.name)
            if target is None:
                return Origin(path, ref.name)
            return self.exported(target, ref.member or "default", depth + 1)
        if ref.member is not None:
            return None  # a property of a value: not a client we can name
        if ref.kind in ("new", "type"):
            return self.class_ref(path, parts, fn, depth + 1)
        if ref.kind == "name":
            return self.receiver(path, fn, parts, depth + 1)
        if ref.kind == "call" and len(parts) >= 2 and parts[-1] == "$extends":
            return self.receiver(path, fn, parts[:-1], depth + 1)  # an extended client queries the same schema
        if ref.kind == "call":
            return self.returned(path, fn, parts, depth + 1)
        return None

    def returned(self, path: str, fn, parts: tuple[str, ...], depth: int) -> Origin | None:
        """The client a workspace function returns (`getPrisma()`, a static
        `getInstance()`), from what its `return`s or its return type say."""
        if depth > MAX_DEPTH:
            return None
        found = self.index.function(self.index.resolve_path(path, parts, fn))
        if found is None or found[1].returns is None:
            return None
        fpath, fact = found
        self.read.add(fpath)
        return self.ref(fpath, fact.returns, fact, depth + 1)

    def member(self, path: str, cls_name: str, member: str, depth: int) -> Origin | None:
        facts = self.facts(path)
        cls = facts.klass(cls_name) if facts is not None else None
        seen = 0
        while cls is not None and seen < MAX_DEPTH:
            ref = cls.member(member)
            if ref is not None:
                owner = self.facts(path)
                ctor = owner.function(f"{cls.name}.constructor") if owner else None
                return self.ref(path, ref, ctor, depth + 1)
            if cls.method(member) is not None:
                return None
            base = self.index.base_class(path, cls)
            if base is None:
                return None
            path, cls = base
            self.read.add(path)
            seen += 1
        return None

    def exported(self, path: str, name: str, depth: int) -> Origin | None:
        """The origin of the value or class a module exports as `name`."""
        facts = self.facts(path)
        if facts is None or depth > MAX_DEPTH:
            return None
        if name == "default":
            ref = facts.default_export
            return self.ref(path, ref, None, depth + 1) if ref is not None else None
        for exported, local in facts.exports:
            if exported == name:
                if facts.klass(local) is not None:
                    return self.class_origin(path, local, depth + 1)
                return self.name(path, None, local, depth + 1)
        for exported, module, imported in facts.reexports:
            if exported == name and imported != "*":
                target = self.module(path, module)
                return self.exported(target, imported, depth + 1) if target else Origin(path, module)
        unresolved = []
        for module in facts.star_exports:
            target = self.module(path, module)
            if target is None:
                unresolved.append(module)
                continue
            found = self.exported(target, name, depth + 1)
            if found is not None:
                return found
        # `export * from '@prisma/client'` (or a generated client): the name comes from there.
        return Origin(path, unresolved[0]) if len(unresolved) == 1 else None

    # ------------------------------------------------------------ classes

    def class_ref(self, path: str, parts: tuple[str, ...], fn, depth: int) -> Origin | None:
        """Where the class `parts` (of `new X()`, a type `X`, `extends X`) comes from."""
        facts = self.facts(path)
        if facts is None or depth > MAX_DEPTH:
            return None
        head = parts[0]
        if len(parts) == 1 and facts.klass(head) is not None:
            return self.class_origin(path, head, depth + 1)
        imp = facts.import_of(head)
        if imp is None and head == "TransactionClient":
            imp = facts.import_of("Prisma")  # the parser keeps `Prisma.TransactionClient` as its last name
        if imp is not None:
            target = self.module(path, imp.module)
            if target is None:
                return Origin(path, imp.module)
            name = parts[1] if imp.imported == "*" and len(parts) > 1 else imp.imported
            return self.exported(target, name, depth + 1) or Origin(target, "")
        ref = facts.binding(head)
        if ref is not None and ref.kind == "require":
            return self.ref(path, ref, fn, depth + 1)
        # A NestJS provider typed with a class the file does not import: a
        # class of that name that is unique in the workspace.
        target = self.index.evaluate(path, ValueRef("type", ".".join(parts)), fn)
        if target is not None and target.kind == "instance" and target.path:
            self.read.add(target.path)
            return self.class_origin(target.path, target.name, depth + 1)
        return None

    def class_origin(self, path: str, name: str, depth: int) -> Origin | None:
        """A workspace class: the client class it extends, else itself."""
        facts = self.facts(path)
        cls = facts.klass(name) if facts is not None else None
        if cls is None or depth > MAX_DEPTH:
            return None
        if not cls.extends:
            return Origin(path, "")
        return self.class_ref(path, tuple(cls.extends.split(".")), None, depth + 1)


def client_origin(index, path: str, fn, receiver: tuple[str, ...]) -> tuple[Origin | None, set[str]]:
    """(origin of the client that `receiver` holds at `fn` in `path`, the
    files read to find it)."""
    walk = _Walk(index)
    try:
        origin = walk.receiver(path, fn, receiver, 0)
    except RecursionError:
        origin = None
    return origin, walk.read


def client_class_origin(index, path: str, fn, parts: tuple[str, ...]) -> Origin | None:
    """The origin of the class `parts` that `new <parts>()` instantiates."""
    try:
        return _Walk(index).class_ref(path, parts, fn, 0)
    except RecursionError:
        return None
