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
