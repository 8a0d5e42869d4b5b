from helpers import line_containing, lines_of, run_rules

ROUTES = """
    import { Router } from 'express';
    import { dashboardService } from './dashboard.service';

    export const router = Router();

    router.get('/me/dashboard', async (req, res) => {
      res.json(await dashboardService.build(String(req.headers['x-user-id'])));
    });
"""
SERVICE = """
    import { prisma } from './prisma';

    export class DashboardService {
      async build(userId: string) {
        const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
        const lists = await prisma.readList.findMany({ where: { ownerId: user.id }, take: 10 });
        const posts = await prisma.post.findMany({ where: { authorId: user.id }, take: 10 });
        return { user, lists, posts };
      }
    }

    export const dashboardService = new DashboardService();
"""
PRISMA = "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n"


def test_three_sequential_queries_through_a_service_fire_at_the_route(tmp_path):
    findings = run_rules(tmp_path, {"src/routes.ts": ROUTES, "src/dashboard.service.ts": SERVICE, "src/prisma.ts": PRISMA}, "E303")
    assert lines_of(tmp_path, findings) == [("src/routes.ts", line_containing(ROUTES, "router.get("), "E303")]
    assert "user.findUniqueOrThrow, readList.findMany, post.findMany" in findings[0].message


def test_parallel_queries_are_one_round_trip(tmp_path):
    service = SERVICE.replace(
        """const lists = await prisma.readList.findMany({ where: { ownerId: user.id }, take: 10 });
        const posts = await prisma.post.findMany({ where: { authorId: user.id }, take: 10 });""",
        """const [lists, posts] = await Promise.all([
          prisma.readList.findMany({ where: { ownerId: user.id }, take: 10 }),
          prisma.post.findMany({ where: { authorId: user.id }, take: 10 }),
        ]);""")
    assert run_rules(tmp_path, {"src/routes.ts": ROUTES, "src/dashboard.service.ts": service, "src/prisma.ts": PRISMA}, "E303") == []


def test_max_queries_option(tmp_path):
    files = {"src/routes.ts": ROUTES, "src/dashboard.service.ts": SERVICE, "src/prisma.ts": PRISMA}
    assert run_rules(tmp_path, files, "E303", options={"E303": {"max-queries": 4}}) == []


TOKENS = """
    import { Router } from 'express';
    import { prisma } from './prisma';

    async function noteBadAttempt(userId: string) {
      const user = await prisma.user.findUnique({ where: { id: userId }, select: { id: true } });
      if (!user) {
        await prisma.comment.create({ data: { body: 'unknown user', authorId: 'system', postId: 'audit' } });
        return;
      }
      await prisma.comment.create({ data: { body: 'bad attempt', authorId: user.id, postId: 'audit' } });
    }

    export const router = Router();

    router.post('/lists/:id/rename', async (req, res) => {
      const list = await prisma.readList.findUnique({ where: { id: req.params.id }, select: { id: true, ownerId: true } });
      if (!list || list.ownerId !== req.body.userId) {
        await prisma.comment.create({ data: { body: 'rename refused', authorId: req.body.userId, postId: 'audit' } });
        throw new Error('forbidden');
      }
      const renamed = await prisma.readList.update({ where: { id: list.id }, data: { name: req.body.name } });
      res.json(renamed);
    });

    router.post('/attempts', async (req, res) => {
      await noteBadAttempt(req.body.userId);
      res.status(202).end();
    });

    router.post('/lists/:id/archive', async (req, res) => {
      const list = await prisma.readList.findUnique({ where: { id: req.params.id }, select: { id: true } });
      if (!list) {
        return res.status(404).end();
      }
      await prisma.readListItem.deleteMany({ where: { readListId: list.id } });
      await prisma.readList.delete({ where: { id: list.id } });
      res.status(204).end();
    });
"""


def test_queries_in_a_block_that_returns_or_throws_are_another_path_not_more_steps(tmp_path):
    # rename: 1 + 1 when the guard fails, 1 + 1 when it passes, though three
    # queries are reachable; /attempts: the helper writes one of its two
    # comments, after its read. archive: the early return holds no query;
    # the path past it has three.
    findings = run_rules(tmp_path, {"src/routes.ts": TOKENS, "src/prisma.ts": PRISMA}, "E303")
    assert lines_of(tmp_path, findings) == [("src/routes.ts", line_containing(TOKENS, "router.post('/lists/:id/archive'"), "E303")]
    assert "readList.findUnique, readListItem.deleteMany, readList.delete" in findings[0].message


def test_queries_held_in_variables_and_run_in_one_transaction_are_one_round_trip(tmp_path):
    """`const [items, total] = await prisma.$transaction([itemsQuery, countQuery])`
    with both queries built first: one batch, not separate round trips."""
    files = {
        "src/db.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
        "src/posts.routes.ts": """\
            import { Router } from 'express';
            import { prisma } from './db';

            export const router = Router();

            router.get('/posts', async (req, res) => {
              const where = { published: true };
              const itemsQuery = prisma.post.findMany({ where, take: 20, select: { id: true, title: true } });
              const countQuery = prisma.post.count({ where });
              const authorsQuery = prisma.user.count();
              const [items, total, authors] = await prisma.$transaction([itemsQuery, countQuery, authorsQuery]);
              res.json({ items, total, authors });
            });
            """,
        "src/app.ts": """\
            import express from 'express';
            import { router } from './posts.routes';
            const app = express();
            app.use('/api', router);
            app.listen(3000);
            """,
    }
    assert run_rules(tmp_path, files, "E303") == []


LIST_MOVES = """
    import { Router } from 'express';
    import { prisma } from './prisma';

    export const router = Router();

    // Moving a reading list to another owner: one lookup, then the writes in
    // one interactive transaction (they must all happen or none).
    router.post('/lists/:id/transfer', async (req, res) => {
      const list = await prisma.readList.findUniqueOrThrow({ where: { id: req.params.id }, select: { id: true } });
      await prisma.$transaction(async (tx) => {
        await tx.readList.update({ where: { id: list.id }, data: { ownerId: req.body.newOwnerId } });
        await tx.readListItem.updateMany({ where: { readListId: list.id }, data: { position: 0 } });
        await tx.comment.create({ data: { text: 'list transferred', postId: 'audit', userId: req.body.newOwnerId } });
      });
      res.status(204).end();
    });

    // Same transaction, but three lookups awaited one by one before it.
    router.post('/lists/:id/merge', async (req, res) => {
      const source = await prisma.readList.findUniqueOrThrow({ where: { id: req.params.id }, select: { id: true } });
      const target = await prisma.readList.findUniqueOrThrow({ where: { id: req.body.targetId }, select: { id: true } });
      const owner = await prisma.user.findUniqueOrThrow({ where: { id: req.body.userId }, select: { id: true } });
      await prisma.$transaction(async (tx) => {
        await tx.readListItem.updateMany({ where: { readListId: source.id }, data: { readListId: target.id } });
        await tx.readList.delete({ where: { id: source.id } });
      });
      res.json({ target: target.id, owner: owner.id });
    });
"""


ARMS = """\
    import { Router } from 'express';
    import { prisma } from '../lib/prisma';

    export const router = Router();

    // Must not fire: one arm of the conditional runs, so two round trips, not three.
    router.get('/lists/:id/items', async (req, res) => {
      const list = await prisma.readList.findUniqueOrThrow({ where: { id: req.params.id }, select: { id: true } });
      const items = req.query.sort === 'title'
        ? await prisma.readListItem.findMany({ where: { readListId: list.id }, orderBy: { title: 'asc' }, select: { id: true }, take: 50 })
        : await prisma.readListItem.findMany({ where: { readListId: list.id }, orderBy: { position: 'asc' }, select: { id: true }, take: 50 });
      res.json(items);
    });

    // Must fire: three round trips one after another.
    router.get('/lists/:id/summary', async (req, res) => {
      const list = await prisma.readList.findUniqueOrThrow({ where: { id: req.params.id }, select: { id: true, ownerId: true } });
      const owner = await prisma.user.findUnique({ where: { id: list.ownerId }, select: { name: true } });
      const count = await prisma.readListItem.count({ where: { readListId: list.id } });
      res.json({ owner, count });
    });
"""


def test_an_interactive_transaction_is_one_step_promise_all_cannot_overlap_its_queries(tmp_path):
    # The queries of `$transaction(async (tx) => ...)` run one after another
    # on the transaction's one connection whatever the code does: telling
    # the author to Promise.all them is wrong. /transfer is a lookup and a
    # transaction (two steps); /merge has three lookups before it (four).
    findings = run_rules(tmp_path, {"src/routes.ts": LIST_MOVES, "src/prisma.ts": PRISMA}, "E303")
    assert lines_of(tmp_path, findings) == [("src/routes.ts", line_containing(LIST_MOVES, "router.post('/lists/:id/merge'"), "E303")]
    message = findings[0].message
    assert "awaits 4 database round trips" in message
    assert "readList.findUniqueOrThrow, readList.findUniqueOrThrow, user.findUniqueOrThrow, " \
           "$transaction(readListItem.updateMany, readList.delete)" in message


def test_the_arms_of_a_conditional_are_one_round_trip(tmp_path):
    findings = run_rules(tmp_path, {"src/routes/lists.ts": ARMS}, "E303")
    assert [line for _, line, _ in lines_of(tmp_path, findings)] == [line_containing(ARMS, "'/lists/:id/summary'")]


def test_a_chain_where_each_query_reads_the_last_ones_result_is_told_to_merge(tmp_path):
    files = {"src/routes.ts": ROUTES, "src/dashboard.service.ts": SERVICE, "src/prisma.ts": PRISMA}
    (independent,) = run_rules(tmp_path, files, "E303")  # posts needs the user, not the lists
    assert independent.message.endswith("run the independent ones together with Promise.all or merge them")
    chain = SERVICE.replace(
        "const posts = await prisma.post.findMany({ where: { authorId: user.id }, take: 10 });",
        "const listIds = lists.map((list) => list.id);\n"
        "        const posts = await prisma.readListItem.findMany({ where: { readListId: { in: listIds } }, take: 50 });")
    (chained,) = run_rules(tmp_path, {**files, "src/dashboard.service.ts": chain}, "E303")
    assert "each reads what the one before returned: merge them into fewer queries" in chained.message
