


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
