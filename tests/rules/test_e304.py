


from helpers import apply_fix, line_containing, lines_of, parses, run_rules

ROUTES = """
    import { Router } from 'express';
    import { prisma } from './prisma';

    export const router = Router();

    router.get('/readlists/:id/items', async (req, res) => {
      const items = await prisma.readListItem.findMany({ where: { readListId: req.params.id } });
      res.json(items);
    });

    router.get('/readlists/:id/first', async (req, res) => {
      res.json(await prisma.readListItem.findMany({ where: { readListId: req.params.id }, take: 1 }));
    });

    router.post('/readlists/:id/items/search', async (req, res) => {
      res.json(await prisma.readListItem.findMany({ where: { readListId: req.params.id } }));
    });
"""
PRISMA = "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n"


def test_get_route_returning_whole_find_many_fires_with_a_paging_fix(tmp_path):
    findings = run_rules(tmp_path, {"src/routes.ts": ROUTES, "src/prisma.ts": PRISMA}, "E304")
    assert lines_of(tmp_path, findings) == [("src/routes.ts", line_containing(ROUTES, "/readlists/:id/items'"), "E304")]
    fixed = apply_fix(findings[0])
    assert "findMany({ take: Math.min(Number(req.query.limit) || 100, 100), skip: Number(req.query.offset) || 0, where:" in fixed
    assert parses(fixed)


def test_query_in_a_service_fires_without_a_fix(tmp_path):
    files = {
        "src/routes.ts": """
            import { Router } from 'express';
            import { itemService } from './item.service';
            export const router = Router();
            router.get('/items', async (_req, res) => res.json(await itemService.all()));
        """,
        "src/item.service.ts": """
            import { prisma } from './prisma';
            export class ItemService {
              all() {
                return prisma.readListItem.findMany({ orderBy: { addedAt: 'desc' } });
              }
            }
            export const itemService = new ItemService();
        """,
        "src/prisma.ts": PRISMA,
    }
    findings = run_rules(tmp_path, files, "E304")
    assert [(f.code, f.fixes) for f in findings] == [("E304", ())]


def test_reading_page_and_limit_or_handing_on_req_query_is_silent(tmp_path):
    destructured = ROUTES.replace("async (req, res) => {\n      const items", "async (req, res) => {\n      const { page, limit } = req.query;\n      const items", 1)
    assert run_rules(tmp_path, {"src/routes.ts": destructured, "src/prisma.ts": PRISMA}, "E304") == []


def test_opaque_arguments_and_id_lists_are_silent(tmp_path):
    files = {"src/routes.ts": """
        import { Router } from 'express';
        import { prisma } from './prisma';
        export const router = Router();
        router.get('/a', async (req, res) => res.json(await prisma.post.findMany(buildQuery(req))));
        router.get('/b', async (req, res) => res.json(await prisma.post.findMany({ where: { id: { in: String(req.query.ids).split(',') } } })));
        function buildQuery(req: unknown) { return { take: 10 }; }
    """, "src/prisma.ts": PRISMA}
    assert run_rules(tmp_path, files, "E304") == []


NOT_LISTS = """\
    import { Router } from 'express';
    import { prisma } from '../lib/prisma';

    export const router = Router();

    // Must not fire: a detail page, one list with its items embedded.
    router.get('/lists/:id', async (req, res) => {
      const list = await prisma.readList.findUnique({ where: { id: req.params.id }, select: { id: true, name: true } });
      const items = await prisma.readListItem.findMany({ where: { readListId: req.params.id }, select: { title: true } });
      res.json({ ...list, items });
    });

    // Must not fire: the rows are folded into a few numbers.
    router.get('/lists/:id/stats', async (req, res) => {
      const items = await prisma.readListItem.findMany({ where: { readListId: req.params.id }, select: { position: true } });
      res.json({ count: items.length, last: Math.max(0, ...items.map((i) => i.position)) });
    });

    // Must not fire: folded into a map from title to position.
    router.get('/lists/:id/positions', async (req, res) => {
      const items = await prisma.readListItem.findMany({ where: { readListId: req.params.id }, select: { title: true, position: true } });
      res.json(Object.fromEntries(items.map((i) => [i.title, i.position])));
    });

    // Must fire: the owner's lists go out as a list, mapped.
    router.get('/users/:id/lists', async (req, res) => {
      const lists = await prisma.readList.findMany({ where: { ownerId: req.params.id }, select: { id: true, name: true } });
      res.json({ items: lists.map((l) => ({ id: l.id, name: l.name })) });
    });
"""


def test_details_and_folded_rows_are_not_list_endpoints(tmp_path):
    from helpers import line_containing

    findings = run_rules(tmp_path, {"src/routes/lists.ts": NOT_LISTS}, "E304")
    assert [line for _, line, _ in lines_of(tmp_path, findings)] == [line_containing(NOT_LISTS, "'/users/:id/lists'")]
