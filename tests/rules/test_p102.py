"""P102 prisma-unbounded-find-many."""


from helpers import apply_fix, line_containing, lines_of, run_rules
from perfaudit.server.analysis.parsing import parse

POST_SERVICE = """\
    import { prisma } from '../lib/prisma';

    const recentFirst = { orderBy: { createdAt: 'desc' as const } };

    export class PostService {
      async byAuthor(authorId: string) {
        return prisma.post.findMany({ where: { authorId }, select: { id: true, title: true } });
      }

      async feed() {
        return prisma.post.findMany({
          ...recentFirst,
          where: { published: true },
          select: { id: true, title: true },
        });
      }

      async page(authorId: string, skip: number, take: number) {
        return prisma.post.findMany({ where: { authorId }, select: { id: true }, skip, take });
      }

      async helperPaged(q: { page: number }) {
        const { skip, take } = this.paging(q.page);
        return prisma.post.findMany({ where: { published: true }, select: { id: true }, skip, take });
      }

      paging(page: number) {
        return { skip: (page - 1) * 20, take: 20 };
      }

      async byIds(ids: string[]) {
        return prisma.post.findMany({ where: { id: { in: ids } }, select: { id: true, title: true } });
      }

      async byEmail(email: string) {
        return prisma.user.findMany({ where: { email }, select: { id: true } });
      }

      async opaque(args: object) {
        return prisma.post.findMany(args);
      }

      async unknownSpread(options: object) {
        return prisma.post.findMany({ ...options, where: { published: true } });
      }

      async one(id: string) {
        return prisma.post.findFirst({ where: { id }, select: { id: true } });
      }
    }
"""


def test_find_many_without_take_fires_and_bounded_ones_do_not(tmp_path):
    findings = run_rules(tmp_path, {"src/services/post.service.ts": POST_SERVICE}, "P102")
    assert lines_of(tmp_path, findings) == [
        ("src/services/post.service.ts", line_containing(POST_SERVICE, "where: { authorId }, select: { id: true, title"), "P102"),
        ("src/services/post.service.ts", line_containing(POST_SERVICE, "async feed") + 1, "P102"),
    ]


def test_default_fix_adds_take(tmp_path):
    findings = run_rules(tmp_path, {"src/services/post.service.ts": POST_SERVICE}, "P102")
    by_author, feed = sorted(findings, key=lambda f: f.start)
    assert by_author.fixes[0].title == "Add pagination (take 100)"
    assert "findMany({ take: 100, where: { authorId }" in apply_fix(by_author)
    assert "findMany({\n      take: 100,\n      ...recentFirst," in apply_fix(feed)


def test_default_take_option(tmp_path):
    findings = run_rules(
        tmp_path, {"src/services/post.service.ts": POST_SERVICE}, "P102", options={"P102": {"default-take": 25}}
    )
    assert all("take: 25" in f.fixes[0].edits[0].new_text for f in findings)
    assert len(findings) == 2


def test_fix_wires_the_route_query_parameters(tmp_path):
    routes = """\
        import { Router } from 'express';
        import { prisma } from '../lib/prisma';

        export const router = Router();

        router.get('/posts', async (req, res) => {
          const { page, limit } = req.query;
          const posts = await prisma.post.findMany({
            where: { published: true },
            select: { id: true, title: true },
          });
          res.json(posts);
        });

        router.get('/comments', async (req, res) => {
          const comments = await prisma.comment.findMany({ where: { postId: String(req.query.postId) }, select: { id: true } });
          res.json({ comments, next: req.query.cursor });
        });

        router.get('/users', async (req, res) => {
          res.json(await prisma.user.findMany({ select: { id: true }, skip: Number(req.query.offset) }));
        });
    """
    findings = run_rules(tmp_path, {"src/routes/posts.ts": routes}, "P102")
    posts, comments, users = sorted(findings, key=lambda f: f.start)
    fixed = apply_fix(posts)
    assert (
        "findMany({\n"
        "    take: Math.min(Number(limit) || 100, 100),\n"
        "    skip: (Math.max(Number(page) || 1, 1) - 1) * Math.min(Number(limit) || 100, 100),\n"
        "    where: { published: true },"
    ) in fixed
    assert "take: 100, cursor: req.query.cursor ? { id: String(req.query.cursor) } : undefined, skip: req.query.cursor ? 1 : 0," in apply_fix(comments)
    # `skip` is already there: only `take` is added.
    assert "findMany({ take: 100, select: { id: true }, skip: Number(req.query.offset) })" in apply_fix(users)
    for f in findings:
        assert not parse(apply_fix(f).encode(), "typescript").root_node.has_error


def test_nest_service_and_transaction(tmp_path):
    files = {
        "src/read-lists/read-lists.service.ts": """\
            import { Injectable } from '@nestjs/common';
            import { PrismaService } from '../prisma/prisma.service';

            @Injectable()
            export class ReadListsService {
              constructor(private prisma: PrismaService) {}

              async items(readListId: string) {
                return this.prisma.readListItem.findMany({
                  where: { readListId },
                  orderBy: { position: 'asc' },
                  select: { id: true, url: true, title: true },
                });
              }

              async archive(ownerId: string) {
                return this.prisma.$transaction(async (tx) => {
                  const lists = await tx.readList.findMany({ where: { ownerId }, select: { id: true } });
                  await tx.readList.deleteMany({ where: { ownerId } });
                  return lists.length;
                });
              }
            }
        """,
    }
    findings = run_rules(tmp_path, files, "P102")
    assert lines_of(tmp_path, findings) == [
        ("src/read-lists/read-lists.service.ts", 9, "P102"),
        ("src/read-lists/read-lists.service.ts", 18, "P102"),
    ]


def test_no_schema_no_finding(tmp_path):
    files = {"src/a.ts": "export const all = () => prisma.user.findMany();\n"}
    assert run_rules(tmp_path, files, "P102", schema=False) == []


PREFS_SCHEMA = """\
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

enum Channel {
  EMAIL
  PUSH
  SMS
}

model NotificationPref {
  id      String  @id @default(cuid())
  userId  String
  channel Channel
  enabled Boolean @default(true)

  @@unique([userId, channel])
}

model Subscription {
  id     String @id @default(cuid())
  userId String
  topic  String
  active Boolean @default(true)

  @@unique([userId, topic])
}
"""

PREFS = """\
    import { prisma } from '../lib/prisma';

    export class PrefsService {
      // Must not fire: one row per channel at most (the unique key's other column is an enum).
      async channels(userId: string) {
        return prisma.notificationPref.findMany({ where: { userId }, select: { channel: true, enabled: true } });
      }

      // Must fire: the unique key's other column is free text, so rows grow with the topics.
      async topics(userId: string) {
        return prisma.subscription.findMany({ where: { userId }, select: { topic: true } });
      }
    }
"""


def test_a_unique_key_pinned_but_for_an_enum_bounds_the_rows(tmp_path):
    from helpers import line_containing

    files = {"prisma/schema.prisma": PREFS_SCHEMA, "src/services/prefs.service.ts": PREFS}
    findings = run_rules(tmp_path, files, "P102")
    assert [line for _, line, _ in lines_of(tmp_path, findings)] == [line_containing(PREFS, "prisma.subscription.findMany")]
