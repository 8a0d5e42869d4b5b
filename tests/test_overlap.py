"""One problem, one finding: rules that describe the same problem at the
same place leave one finding."""

from helpers import line_containing, lines_of, run_rules

PRISMA = "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n"

DASHBOARD = """\
    import { Router } from 'express';
    import { prisma } from '../lib/prisma';

    export const router = Router();

    router.get('/dashboard/:id', async (req, res) => {
      const user = await prisma.user.findUnique({ where: { id: req.params.id }, select: { id: true, name: true } });
      const lists = await prisma.readList.findMany({ where: { ownerId: req.params.id }, select: { id: true }, take: 10 });
      const posts = await prisma.post.findMany({ where: { authorId: req.params.id }, select: { id: true }, take: 10 });
      res.json({ user, lists, posts });
    });

    router.get('/lists', async (req, res) => {
      const lists = await prisma.readList.findMany({ where: { ownerId: String(req.query.owner) }, take: 20, include: { owner: true } });
      res.json(lists.map((l) => ({ name: l.name, owner: l.owner.name })));
    });
"""


def test_sequential_awaits_of_a_route_are_one_e303_with_the_parallel_fix(tmp_path):
    files = {"src/lib/prisma.ts": PRISMA, "src/routes/dashboard.routes.ts": DASHBOARD}
    found = run_rules(tmp_path, files, ["A401", "E303"])
    assert [c for _, _, c in lines_of(tmp_path, found)] == ["E303"]
    [e303] = found
    assert any(fx.title.startswith("Run in parallel") for fx in e303.fixes)


def test_a401_alone_still_reports_where_no_route_counts_the_awaits(tmp_path):
    files = {"src/lib/prisma.ts": PRISMA, "src/routes/dashboard.routes.ts": DASHBOARD}
    found = run_rules(tmp_path, files, ["A401"])
    assert [c for _, _, c in lines_of(tmp_path, found)] == ["A401"]


def test_no_select_and_a_whole_include_on_one_call_are_one_p103(tmp_path):
    files = {"src/lib/prisma.ts": PRISMA, "src/routes/dashboard.routes.ts": DASHBOARD}
    found = run_rules(tmp_path, files, ["P101", "P103"])
    line = line_containing(DASHBOARD, "include: { owner: true }")
    assert lines_of(tmp_path, found) == [("src/routes/dashboard.routes.ts", line, "P103")]
    [f] = found
    assert "`owner` (User) whole" in f.message
    assert "nor does the query select its own columns: the code reads 1 of ReadList's 4 columns" in f.message
    assert [fx.title for fx in f.fixes] == ["Select the relation fields the code reads", "Add select (1 field the code reads)"]


ITEMS = """\
    import { Router } from 'express';
    import { prisma } from '../lib/prisma';
    import { itemService } from '../services/item.service';

    export const router = Router();

    router.get('/readlists/:id/items', async (req, res) => {
      const items = await prisma.readListItem.findMany({ where: { readListId: req.params.id } });
      res.json(items);
    });

    router.get('/items/recent', async (_req, res) => {
      res.json(await itemService.recent());
    });
"""

ITEM_SERVICE = """\
    import { prisma } from '../lib/prisma';

    export class ItemService {
      recent() {
        return prisma.readListItem.findMany({ orderBy: { addedAt: 'desc' } });
      }
    }

    export const itemService = new ItemService();
"""


def test_an_unbounded_list_a_route_returns_from_its_own_handler_is_one_e304(tmp_path):
    files = {"src/lib/prisma.ts": PRISMA, "src/routes/items.routes.ts": ITEMS, "src/services/item.service.ts": ITEM_SERVICE}
    found = run_rules(tmp_path, files, ["E304", "P102"])
    assert lines_of(tmp_path, found) == [
        ("src/routes/items.routes.ts", line_containing(ITEMS, "'/readlists/:id/items'"), "E304"),
        ("src/routes/items.routes.ts", line_containing(ITEMS, "'/items/recent'"), "E304"),
        # The service's query keeps its own finding and fix, where the code changes.
        ("src/services/item.service.ts", line_containing(ITEM_SERVICE, "findMany"), "P102"),
    ]
    inline = next(f for f in found if f.code == "E304" and f.fixes)
    assert [fx.title for fx in inline.fixes] == ["Paginate with req.query.limit and offset"]


def test_p102_alone_still_reports_the_handler_query(tmp_path):
    files = {"src/lib/prisma.ts": PRISMA, "src/routes/items.routes.ts": ITEMS, "src/services/item.service.ts": ITEM_SERVICE}
    found = run_rules(tmp_path, files, ["P102"])
    assert [(path, code) for path, _, code in lines_of(tmp_path, found)] == [
        ("src/routes/items.routes.ts", "P102"),
        ("src/services/item.service.ts", "P102"),
    ]
