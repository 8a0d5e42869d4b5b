"""## What it does
Finds two or more `await`ed calls in a row, in one block, that reach I/O (a
Prisma query, a Redis command, an HTTP request), where no later call uses
what an earlier one produced and all of them only read. It is reported at
the second (or later) `await` of the run.

## Why is this bad?
Each await waits for the previous round trip although nothing depends on
it: three 20 ms reads take 60 ms instead of 20 ms, on every request.

## Example
```ts
import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();

export async function dashboard(userId: string) {
  const user = await prisma.user.findUnique({ where: { id: userId }, select: { id: true, name: true } });
  const lists = await prisma.readList.count({ where: { ownerId: userId } });
  return { user, lists };
}
```

## Use instead
```ts
import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();

export async function dashboard(userId: string) {
  const [user, lists] = await Promise.all([
    prisma.user.findUnique({ where: { id: userId }, select: { id: true, name: true } }),
    prisma.readList.count({ where: { ownerId: userId } }),
  ]);
  return { user, lists };
}
```

Not reported: a later call that uses an earlier result (directly, through
destructuring, a property or a closure), a write in the run (later reads may
depend on it), a condition between the awaits, calls inside an interactive
`$transaction` callback (one connection runs them in order anyway), and runs
of Redis commands on one client (R203 offers a pipeline there).

## Fix safety
Unsafe. "Run in parallel" rewrites the run as `const [a, b] = await
Promise.all([...])`, keeping names (and types, when every declaration has
one). Errors then reject together and the calls overlap in time; for two
Prisma reads, `prisma.$transaction([...])` is offered too, which also reads
one snapshot.
"""

from perfaudit.server.analysis.dataflow import bound_names, uses_any
from perfaudit.server.analysis.layout import indent_unit, reindent
from perfaudit.server.prisma import prisma_query, schema_for_call
from perfaudit.server.analysis.syntax import FUNCTION_KINDS, awaited_call, call_function, call_text, member_path, unwrap
from perfaudit.server.findings import Applicability, Edit, Fix, Severity
from perfaudit.server.analysis.parsing import node_text
from perfaudit.server.rule import FixAvailability, Rule

RULE = Rule(
    code="A401",
    name="sequential-awaits",
    summary="Independent awaited I/O calls run one after another.",
    severity=Severity.INFORMATION,
    fix=FixAvailability.SOMETIMES,
    request_path=True,
    local=True,  # see Rule.local; tests/test_local_rules.py
)

IO_KINDS = {"query", "redis", "http"}
HTTP_WRITES = ("post", "put", "patch", "delete")


class _Step:
    """One `await call;` or `const x = await call;` statement of a run."""

    def __init__(self, stmt, awaited, call, pattern, type_node, keyword, effects):
        self.stmt, self.awaited, self.call = stmt, awaited, call
        self.pattern, self.type_node, self.keyword, self.effects = pattern, type_node, keyword, effects

    @property
    def bound_names(self) -> set[str]:
        return bound_names(self.pattern)




def check(ctx):
    # A run is two awaited reads in one block: the facts tell whether there
    # can be one before the file is parsed.
    if not ctx.file.facts.awaits_two_alike(lambda c: "read" if _read_effects(ctx, c.start, c.end) else None):
        return
    for block in ctx.file.nodes("statement_block"):
        if _in_transaction_callback(block):
            continue
        for run in _runs(ctx, block):
            yield _report(ctx, run)


def _read_effects(ctx, start: int, end: int) -> list:
    """The round trips a call makes, when they only read (else [])."""
    effects = [e for e in ctx.index.effects_at(ctx.file.path, start, end) if e.kind in IO_KINDS]
    return [] if any(_is_write(e) for e in effects) else effects


def _runs(ctx, block):
    run: list[_Step] = []
    for stmt in block.named_children:
        if stmt.type == "comment":
            continue
        step = _step(ctx, stmt)
        if step is None:
            yield from _emit(run)
            run = []
            continue
        if run and uses_any(step.stmt, set().union(*(s.bound_names for s in run))):
            yield from _emit(run)
            run = []
        run.append(step)
    yield from _emit(run)


def _emit(run):
    if len(run) < 2:
        return
    effects = [e for s in run for e in s.effects]
    # Redis commands on one client are R203's, with a pipeline fix.
    if all(e.kind == "redis" for e in effects) and len({e.target for e in effects}) == 1:
        return
    yield run


def _step(ctx, stmt) -> _Step | None:
    pattern = type_node = None
    keyword = "const"
    if stmt.type == "expression_statement" and stmt.named_children:
        awaited = unwrap(stmt.named_children[0])
    elif stmt.type == "lexical_declaration":
        decls = [d for d in stmt.named_children if d.type == "variable_declarator"]
        if len(decls) != 1:
            return None
        keyword = node_text(stmt.children[0])
        pattern = decls[0].child_by_field_name("name")
        type_node = decls[0].child_by_field_name("type")
        awaited = unwrap(decls[0].child_by_field_name("value"))
    else:
        return None
    call = awaited_call(awaited)
    if call is None:
        return None
    effects = _read_effects(ctx, call.start_byte, call.end_byte)
    if not effects:
        return None
    return _Step(stmt, awaited, call, pattern, type_node, keyword, effects)


def _is_write(effect) -> bool:
    if effect.kind == "http":
        return effect.op.lower().endswith(HTTP_WRITES)
    return effect.is_write


def _in_transaction_callback(block) -> bool:
    node = block.parent
    while node is not None:
        if node.type in FUNCTION_KINDS:
            args = node.parent
            call = args.parent if args is not None and args.type == "arguments" else None
            if call is not None and call.type == "call_expression":
                path = member_path(call_function(call))
                if path and path[-1] == "$transaction":
                    return True
        node = node.parent
    return False


def _short(call) -> str:
    fn = call_function(call)
    text = " ".join(node_text(fn).split()) if fn is not None else "call"
    return text if len(text) <= 50 else text[:47] + "..."


def _report(ctx, run):
    second = run[1]
    names = ", ".join(f"`{_short(s.call)}(...)`" for s in run)
    message = (
        f"{len(run)} independent awaited calls run one after another ({names}): "
        "none uses another's result, so they can run in parallel with `Promise.all`."
    )
    return ctx.report(second.awaited.start_byte, second.awaited.end_byte, message, fixes=fix(ctx, run))


def fix(ctx, run) -> list[Fix]:
    block = run[0].stmt.parent
    first, last = run[0].stmt, run[-1].stmt
    if any(c.type == "comment" and first.start_byte < c.start_byte < last.end_byte for c in block.named_children):
        return []  # rewriting would drop the comments between the statements
    annotated = [s.type_node is not None for s in run]
    if any(annotated) and not all(annotated):
        return []
    data = ctx.file.data
    line_start = data.rfind(b"\n", 0, first.start_byte) + 1
    indent = data[line_start:first.start_byte].decode("utf-8", errors="replace")
    if indent.strip():
        return []
    newline = "\r\n" if b"\r\n" in data else "\n"
    inner = indent + indent_unit(data)
    # Each call moves one level in, into the array: so do its other lines.
    calls = [reindent(call_text(s.call), indent, inner) for s in run]
    has_bindings = any(s.pattern is not None for s in run)
    keyword = "let" if any(s.keyword == "let" for s in run) else "const"
    types = ""
    if all(annotated):
        types = ": [" + ", ".join(node_text(s.type_node).lstrip(":").strip() for s in run) + "]"

    def statement(combinator: str) -> str:
        items = "".join(f"{inner}{c},{newline}" for c in calls)
        rhs = f"await {combinator}([{newline}{items}{indent}])"
        if not has_bindings:
            return f"{rhs};"
        names = ", ".join(node_text(s.pattern) if s.pattern is not None else "" for s in run)
        return f"{keyword} [{names}]{types} = {rhs};"

    path = ctx.file.path
    fixes = [Fix("Run in parallel with Promise.all (unsafe)", Applicability.UNSAFE, (Edit(path, first.start_byte, last.end_byte, statement("Promise.all")),))]
    receivers = {_prisma_receiver(ctx, s.call) for s in run}
    if len(run) == 2 and len(receivers) == 1 and None not in receivers:
        (receiver,) = receivers
        fixes.append(Fix(f"Run both reads in {receiver}.$transaction([...]) (unsafe)", Applicability.UNSAFE,
                         (Edit(path, first.start_byte, last.end_byte, statement(f"{receiver}.$transaction")),)))
    return fixes


def _prisma_receiver(ctx, call) -> str | None:
    """`prisma` for a direct `prisma.user.findMany(...)` call."""
    path = member_path(call_function(call))
    fn = ctx.file.facts.function_at(call.start_byte)
    if len(path) < 3 or prisma_query(path, schema_for_call(ctx.workspace.index, ctx.file.path, fn, path)) is None:
        return None
    return ".".join(path[:-2])
