"""Calls with type arguments: tree-sitter-typescript reads `await f<T>(x)` as
`(await f)<T>(x)` and `prisma.$queryRaw<T>\\`...\\`` as an error node around
`prisma.$queryRaw<T>`. Both are calls like any other, everywhere."""

from helpers import line_containing, lines_of, run_rules
from perfaudit.server.analysis.extract import extract_facts
from perfaudit.server.analysis.parsing import parse

PRISMA = "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n"

# A small generic data layer: the kind of wrapper that makes every call generic.
DATA = """
    import { prisma } from './prisma';

    export async function load<T>(id: string): Promise<T> {
      return (await prisma.post.findUnique({ where: { id } })) as T;
    }

    export async function countRows<T extends object>(table: string): Promise<T[]> {
      return prisma.$queryRaw<T[]>`SELECT count(*) FROM posts`;
    }
"""


def _facts(code: str):
    data = code.encode()
    return extract_facts(parse(data, "typescript"), "typescript")


def test_facts_see_the_callee_and_the_await_of_generic_calls():
    facts = _facts(
        "async function f(id: string) {\n"
        "  const user = await load<User>(id);\n"
        "  const rows = await prisma.$queryRaw<Row[]>`SELECT 1`;\n"
        "  const lazy = prisma.$queryRaw<Row[]>`SELECT 2`;\n"
        "  const plain = pick<User>(id);\n"
        "  return this.cache.getOrSet<User>(id, () => user);\n"
        "}\n"
    )
    calls = [(c.callee, c.awaited) for c in facts.all_calls]
    assert calls == [
        (("load",), True),
        (("prisma", "$queryRaw"), True),
        (("prisma", "$queryRaw"), False),
        (("pick",), False),
        (("this", "cache", "getOrSet"), False),
    ]
    assert [c.callbacks != () for c in facts.all_calls] == [False, False, False, False, True]
    locals_ = dict(facts.functions[0].locals)
    assert locals_["user"].kind == "call" and locals_["user"].name == "load"
    assert locals_["rows"].name == "prisma.$queryRaw"


def test_awaited_generic_wrapper_in_a_loop_is_p104_like_the_plain_call(tmp_path):
    code = """
        import { load } from './data';

        export async function titles(ids: string[]) {
          const out = [];
          for (const id of ids) {
            out.push(await load<{ title: string }>(id));
          }
          return out;
        }

        export async function one(id: string) {
          return load<{ title: string }>(id);
        }
    """
    findings = run_rules(tmp_path, {"src/prisma.ts": PRISMA, "src/data.ts": DATA, "src/titles.ts": code}, "P104")
    assert lines_of(tmp_path, findings) == [("src/titles.ts", line_containing(code, "await load<"), "P104")]


def test_raw_query_with_type_arguments_is_a_query(tmp_path):
    code = """
        import { prisma } from './prisma';

        type Row = { id: string; n: number };

        export async function perAuthor(authorIds: string[]) {
          const out: Row[][] = [];
          for (const authorId of authorIds) {
            out.push(await prisma.$queryRaw<Row[]>`SELECT id, 1 AS n FROM posts WHERE author_id = ${authorId}`);
          }
          return out;
        }

        export async function probe() {
          return prisma.$queryRaw<{ ok: number }[]>`SELECT 1 AS ok`;
        }
    """
    findings = run_rules(tmp_path, {"src/prisma.ts": PRISMA, "src/stats.ts": code}, "P104")
    assert lines_of(tmp_path, findings) == [("src/stats.ts", line_containing(code, "await prisma.$queryRaw<Row[]>"), "P104")]


ROUTES = """
    import { Router } from 'express';
    import { prisma } from './prisma';
    import { load } from './data';

    export const stats = Router();

    stats.get('/stats/busiest', async (_req, res) => {
      const rows = await prisma.$queryRaw<{ author_id: string }[]>`SELECT author_id, count(*) FROM posts GROUP BY author_id`;
      res.json(rows);
    });

    stats.get('/stats/clock', async (_req, res) => {
      res.json(await prisma.$queryRaw<{ at: Date }[]>`SELECT now() AS at`);
    });

    stats.get('/stats/post/:id', async (req, res) => {
      const post = await load<{ authorId: string }>(req.params.id);
      const author = await prisma.user.findUnique({ where: { id: post.authorId } });
      const more = await prisma.$queryRaw<{ id: string }[]>`SELECT id FROM posts WHERE author_id = ${post.authorId} LIMIT 5`;
      res.json({ post, author, more });
    });
"""


def test_generic_calls_count_in_route_rules(tmp_path):
    files = {"src/prisma.ts": PRISMA, "src/data.ts": DATA, "src/stats.routes.ts": ROUTES}
    r205 = run_rules(tmp_path, files, "R205")
    # Raw reads of a table are expensive and uncached; `SELECT now()` is a clock.
    assert lines_of(tmp_path, r205) == [
        ("src/stats.routes.ts", line_containing(ROUTES, "'/stats/busiest'"), "R205"),
        ("src/stats.routes.ts", line_containing(ROUTES, "'/stats/post/:id'"), "R205"),
    ]
    e303 = run_rules(tmp_path, {}, "E303")
    assert lines_of(tmp_path, e303) == [("src/stats.routes.ts", line_containing(ROUTES, "'/stats/post/:id'"), "E303")]
    assert "post.findUnique, user.findUnique, $queryRaw" in e303[0].message


def test_sequential_generic_awaits_are_a401_with_a_fix_that_drops_the_folded_await(tmp_path):
    code = """
        import { load } from './data';

        export async function pair(a: string, b: string) {
          const first = await load<{ id: string }>(a);
          const second = await load<{ id: string }>(b);
          return [first, second];
        }
    """
    findings = run_rules(tmp_path, {"src/prisma.ts": PRISMA, "src/data.ts": DATA, "src/pair.ts": code}, "A401")
    assert lines_of(tmp_path, findings) == [("src/pair.ts", line_containing(code, "const second"), "A401")]
    (fix,) = [f for f in findings[0].fixes if "Promise.all" in f.title]
    text = fix.edits[0].new_text
    assert "load<{ id: string }>(a)," in text and "await load<" not in text
    assert text.startswith("const [first, second] = await Promise.all([")


UPSTASH = {
    "src/lib/redis.ts": """
        import { Redis } from '@upstash/redis';

        export const redis = Redis.fromEnv();
        """,
}


def test_generic_redis_reads_are_commands_for_r203_and_r204(tmp_path):
    code = """
        import { redis } from '../lib/redis';

        type Prefs = { theme: string };

        export async function profile(userId: string) {
          const prefs = await redis.get<Prefs>(`prefs:${userId}`);
          const flags = await redis.get<string[]>(`flags:${userId}`);
          return { prefs, flags };
        }

        export async function many(ids: string[]) {
          const out = [];
          for (const id of ids) {
            out.push(await redis.get<Prefs>(`prefs:${id}`));
          }
          return out;
        }
    """
    files = {**UPSTASH, "src/services/prefs.ts": code}
    r203 = run_rules(tmp_path, files, "R203")
    assert lines_of(tmp_path, r203) == [("src/services/prefs.ts", line_containing(code, "const prefs ="), "R203")]
    fix_text = r203[0].fixes[0].edits[0].new_text
    assert ".get(`prefs:${userId}`)" in fix_text and "await redis.get" not in fix_text
    r204 = run_rules(tmp_path, {}, "R204")
    assert lines_of(tmp_path, r204) == [("src/services/prefs.ts", line_containing(code, "out.push(await redis.get<Prefs>"), "R204")]
