"""A401 sequential-awaits."""

from helpers import lines_of, run_rules
from perfaudit.server.analysis.parsing import parse

DASHBOARD = """\
    import { PrismaClient } from '@prisma/client';
    import Redis from 'ioredis';
    const prisma = new PrismaClient();

    export class DashboardService {
      async summary(userId: string) {
        const user = await prisma.user.findUnique({ where: { id: userId }, select: { id: true, name: true } });
        const { _count } = await prisma.readList.aggregate({ where: { ownerId: userId }, _count: true });
        const recent = await prisma.post.findMany({ where: { authorId: userId }, take: 5, select: { id: true } });
        return { user, lists: _count, recent };
      }

      async dependent(userId: string) {
        const user = await prisma.user.findUniqueOrThrow({ where: { id: userId }, select: { id: true } });
        const lists = await prisma.readList.findMany({ where: { ownerId: user.id }, take: 10, select: { id: true } });
        return lists;
      }

      async guarded(userId: string) {
        const user = await prisma.user.findUnique({ where: { id: userId }, select: { id: true } });
        if (!user) throw new Error('not found');
        const posts = await prisma.post.count({ where: { authorId: userId } });
        return posts;
      }

      async writeThenRead(userId: string) {
        await prisma.post.deleteMany({ where: { authorId: userId } });
        const left = await prisma.post.count({ where: { authorId: userId } });
        return left;
      }

      async inTransaction(userId: string) {
        return prisma.$transaction(async (tx) => {
          const a = await tx.user.findUnique({ where: { id: userId }, select: { id: true } });
          const b = await tx.post.count({ where: { authorId: userId } });
          return { a, b };
        });
      }

      async local() {
        const a = await Promise.resolve(1);
        const b = await Promise.resolve(2);
        return a + b;
      }
    }
    """


def test_sequential_reads(tmp_path):
    findings = run_rules(tmp_path, {"src/services/dashboard.service.ts": DASHBOARD}, "A401")
    assert lines_of(tmp_path, findings) == [("src/services/dashboard.service.ts", 8, "A401")]
    assert "3 independent awaited calls" in findings[0].message


def test_fix_keeps_names_and_parses(tmp_path):
    findings = run_rules(tmp_path, {"src/services/dashboard.service.ts": DASHBOARD}, "A401")
    fix = findings[0].fixes[0]
    text = fix.edits[0].new_text
    assert text.startswith("const [user, { _count }, recent] = await Promise.all([\n")
    assert "      prisma.user.findUnique({ where: { id: userId }, select: { id: true, name: true } }),\n" in text
    source = (tmp_path / "src/services/dashboard.service.ts").read_bytes()
    edit = fix.edits[0]
    fixed = source[: edit.start] + text.encode() + source[edit.end :]
    assert not parse(fixed, "typescript").root_node.has_error
    # Three statements: no $transaction variant (offered for two Prisma reads).
    assert len(findings[0].fixes) == 1


def test_two_prisma_reads_offer_transaction(tmp_path):
    code = """\
        import { prisma } from './db';
        export async function stats(ownerId: string) {
          const lists: number = await prisma.readList.count({ where: { ownerId } });
          const items: number = await prisma.readListItem.count({ where: { readList: { ownerId } } });
          return { lists, items };
        }
        """
    db = "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n"
    findings = run_rules(tmp_path, {"src/stats.ts": code, "src/db.ts": db}, "A401")
    assert [f.fixes[1].title for f in findings] == ["Run both reads in prisma.$transaction([...]) (unsafe)"]
    assert findings[0].fixes[0].edits[0].new_text.startswith("const [lists, items]: [number, number] = await Promise.all([")


def test_redis_and_http_count_as_io(tmp_path):
    code = """\
        import Redis from 'ioredis';
        import axios from 'axios';
        const redis = new Redis(process.env.REDIS_URL!);
        export async function profile(id: string) {
          const cached = await redis.get(`profile:${id}`);
          const remote = await axios.get(`https://api.example.com/users/${id}`);
          return { cached, remote: remote.data };
        }
        export async function save(id: string, body: unknown) {
          const cached = await redis.get(`profile:${id}`);
          await axios.post(`https://api.example.com/users/${id}`, body);
        }
        """
    findings = run_rules(tmp_path, {"src/profile.ts": code}, "A401", schema=False)
    assert lines_of(tmp_path, findings) == [("src/profile.ts", 6, "A401")]


def test_fix_moves_multi_line_calls_one_level_in(tmp_path):
    """The calls go into the array: their other lines move with them, by the file's unit."""
    service = (
        "import { prisma } from '../lib/prisma';\n\n"
        "export async function profile(userId: string) {\n"
        "    const user = await prisma.user.findUniqueOrThrow({\n"
        "        where: { id: userId },\n"
        "    });\n"
        "    const posts = await prisma.post.findMany({\n"
        "        where: { authorId: userId },\n"
        "        take: 20,\n"
        "    });\n"
        "    return { user, posts };\n"
        "}\n"
    )
    files = {
        "src/lib/prisma.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
        "src/services/profile.service.ts": service,
    }
    (finding,) = run_rules(tmp_path, files, "A401")
    assert finding.fixes[0].edits[0].new_text == (
        "const [user, posts] = await Promise.all([\n"
        "        prisma.user.findUniqueOrThrow({\n"
        "            where: { id: userId },\n"
        "        }),\n"
        "        prisma.post.findMany({\n"
        "            where: { authorId: userId },\n"
        "            take: 20,\n"
        "        }),\n"
        "    ]);"
    )


TYPED_READS = """\
    import { PrismaClient, type User } from '@prisma/client';
    const prisma = new PrismaClient();

    export class ProfileService {
      async card(userId: string) {
        const user = await (prisma.user.findUnique({ where: { id: userId }, select: { id: true } }) satisfies Promise<Pick<User, 'id'> | null>);
        const posts = await (prisma.post.count({ where: { authorId: userId } }) satisfies Promise<number>);
        return { user, posts };
      }

      async owned(userId: string) {
        const user = await (prisma.user.findUniqueOrThrow({ where: { id: userId }, select: { id: true } }) satisfies Promise<Pick<User, 'id'>>);
        const posts = await (prisma.post.count({ where: { authorId: user.id } }) satisfies Promise<number>);
        return posts;
      }
    }
    """


def test_reads_awaited_through_satisfies_count(tmp_path):
    # The only awaits of the file are written `await (call satisfies T)`:
    # they are awaited calls; the dependent pair in `owned` stays silent.
    findings = run_rules(tmp_path, {"src/services/profile.service.ts": TYPED_READS}, "A401")
    assert lines_of(tmp_path, findings) == [("src/services/profile.service.ts", 7, "A401")]
