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
