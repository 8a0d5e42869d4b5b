"""## What it does
Finds a synchronous blocking call (`fs.*Sync`, `crypto.*Sync`, `zlib.*Sync`,
`child_process.*Sync`, `bcrypt.hashSync`/`compareSync`) that a route
handler reaches, directly or through the functions it calls in other
files. It is reported at the call itself, with the route in the message.

## Why is this bad?
Node runs every request on one thread. While a synchronous call reads a
file or hashes a password, no other request makes progress: one slow
endpoint stalls them all.

## Example
```ts
import fs from 'fs';
import { Router } from 'express';

export const router = Router();

router.get('/terms', async (_req, res) => {
  const html = fs.readFileSync('./templates/terms.html', 'utf8');
  res.type('html').send(html);
});
```

## Use instead
```ts
import fs from 'fs';
import { Router } from 'express';

export const router = Router();

router.get('/terms', async (_req, res) => {
  const html = await fs.promises.readFile('./templates/terms.html', 'utf8');
  res.type('html').send(html);
});
```

## Fix safety
Where the call is in an `async` function and an async form exists
(`fs.promises.readFile`, `await bcrypt.hash`), the fix rewrites the call to
`await` it. Unsafe: the surrounding code now yields to other requests
in the middle, which can change ordering it relied on.
"""

from __future__ import annotations

from perfaudit.server.analysis.syntax import call_function, is_awaited
from perfaudit.server.findings import Applicability, Edit, Fix
from perfaudit.server.express.routes import blocking_by_file
from perfaudit.server.express.route_edits import node_at
from perfaudit.server.node.calls import may_block
from perfaudit.server.rule import FixAvailability, Rule

RULE = Rule(
    code="E305",
    name="blocking-call-in-request",
    summary="A synchronous blocking call reached from a route handler.",
    fix=FixAvailability.SOMETIMES,
    request_path=True,
    local=True,  # see Rule.local; tests/test_local_rules.py
)
BCRYPT_ASYNC = {"hashSync": "hash", "compareSync": "compare", "genSaltSync": "genSalt"}
FS_ASYNC = {"readFileSync", "writeFileSync", "appendFileSync", "readdirSync", "statSync", "lstatSync",
            "mkdirSync", "unlinkSync", "rmSync", "copyFileSync", "renameSync", "accessSync", "realpathSync"}


def check(ctx):
    facts = ctx.file.facts
    named = [c for c in facts.all_calls if may_block(c)]
    if not any(e.kind == "blocking" for c in named for e in ctx.index.direct_effects(ctx.file.path, None, c)):
        return  # nothing here blocks: no need for the route model
    by_call: dict[tuple[int, int], list] = {}
    for effect, route in blocking_by_file(ctx.workspace).get(ctx.file.path, ()):
        by_call.setdefault((effect.start, effect.end), []).append((effect, route))
    for (start, end), hits in sorted(by_call.items()):
        effect, route = hits[0]
        titles = list(dict.fromkeys(r.title for _, r in hits))
        more = f" (and {len(titles) - 1} more route{'s' if len(titles) > 2 else ''})" if len(titles) > 1 else ""
        yield ctx.report(start, end,
                         f"`{effect.op}` blocks the event loop during {titles[0]}{more}: every other request waits",
                         fixes=_fix(ctx, effect))


def _fix(ctx, effect):
    source = ctx.file
    fn = source.facts.function_at(effect.start)
    if fn is None or not fn.is_async:
        return ()
    node = node_at(source, effect.start, effect.end, ("call_expression",))
    callee = call_function(node) if node is not None else None
    if callee is None or callee.type != "member_expression" or node.parent is None or is_awaited(node):
        return ()
    obj, prop = callee.child_by_field_name("object"), callee.child_by_field_name("property")
    name = prop.text.decode() if prop is not None else ""
    receiver = obj.text.decode()
    if effect.op.startswith("bcrypt.") and name in BCRYPT_ASYNC:
        new_callee = f"{receiver}.{BCRYPT_ASYNC[name]}"
    elif effect.op.startswith("fs.") and name in FS_ASYNC and obj.type == "identifier":
        new_callee = f"{receiver}.promises.{name[:-4]}"
    else:
        return ()
    args = node.child_by_field_name("arguments").text.decode()
    text = f"await {new_callee}{args}"
    if node.parent.type in ("member_expression", "call_expression", "subscript_expression"):
        text = f"({text})"
    title = f"Use `{new_callee}`"
    return (Fix(title, Applicability.UNSAFE, (Edit(source.path, node.start_byte, node.end_byte, text),)),)
