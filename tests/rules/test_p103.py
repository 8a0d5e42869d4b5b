"""P103 prisma-include-without-select."""


from helpers import apply_fix, line_containing, lines_of, run_rules
from perfaudit.server.analysis.parsing import parse

READ_LIST_SERVICE = """\
    import { prisma } from '../lib/prisma';

    const withItems = { items: { orderBy: { position: 'asc' as const } } };

    export class ReadListService {
      async withOwner(id: string) {
        const list = await prisma.readList.findUnique({ where: { id }, include: { owner: true, _count: true } });
        if (!list) return null;
        return { name: list.name, owner: list.owner.name };
      }

      async urls(id: string) {
        const list = await prisma.readList.findUnique({
          where: { id },
          include: withItems,
        });
        if (!list) throw new Error('not found');
        return list.items.map((item) => item.url);
      }

      async postsWithComments(authorId: string) {
        const posts = await prisma.post.findMany({
          where: { authorId },
          take: 20,
          include: {
            comments: { include: { user: true } },
          },
        });
        return posts.map((p) => p.comments.map((c) => `${c.text} (${c.user.name})`));
      }

      async trimmed(id: string) {
        return prisma.readList.findUnique({
          where: { id },
          include: { items: { select: { id: true, title: true }, take: 50 }, owner: { select: { name: true } } },
        });
      }

      async counted(id: string) {
        return prisma.readList.findUnique({ where: { id }, include: { _count: { select: { items: true } } } });
      }

      async dynamic(id: string, include: object) {
        return prisma.readList.findUnique({ where: { id }, include });
      }

      async rename(id: string, name: string) {
        // Returned to a caller the analyzer does not follow: no finding.
        return prisma.readList.update({ where: { id }, data: { name }, include: { owner: true } });
      }
    }
"""


def run(tmp_path):
    findings = run_rules(tmp_path, {"src/services/readList.service.ts": READ_LIST_SERVICE}, "P103")
    return sorted(findings, key=lambda f: f.start)


def test_whole_relations_fire_where_the_code_reads_a_subset(tmp_path):
    findings = run(tmp_path)
    rel = "src/services/readList.service.ts"
    assert lines_of(tmp_path, findings) == [
        (rel, line_containing(READ_LIST_SERVICE, "include: { owner: true, _count"), "P103"),
        (rel, line_containing(READ_LIST_SERVICE, "async urls") + 1, "P103"),
        (rel, line_containing(READ_LIST_SERVICE, "async postsWithComments") + 1, "P103"),
    ]
    assert findings[0].message == (
        "`prisma.readList.findUnique` includes `owner` (User) whole: the code reads 1 of its 5 columns; "
        "`id`, `email`, `role` and 1 more come back for every related row"
    )
    assert "`comments` (Comment)" in findings[2].message and "comments.user" not in findings[2].message


def test_fix_selects_the_related_fields_read(tmp_path):
    owner, items, nested = run(tmp_path)
    assert "include: { owner: { select: { name: true } }, _count: true }" in apply_fix(owner)
    # The relation options live in a shared const: the fix edits it.
    assert "const withItems = { items: { select: { url: true }, orderBy: { position: 'asc' as const } } };" in apply_fix(items)
    assert "comments: { select: { text: true, user: true } }," in apply_fix(nested)
    for f in (owner, items, nested):
        assert f.fixes[0].title == "Select the relation fields the code reads"
        assert not parse(apply_fix(f).encode(), "typescript").root_node.has_error


def test_rows_sent_whole_by_a_route_fire_without_a_fix(tmp_path):
    files = {
        "src/routes/lists.routes.ts": """\
            import { Router } from 'express';
            import { prisma } from '../lib/prisma';

            export const router = Router();
            router.get('/lists/:id', async (req, res) => {
              const list = await prisma.readList.findUnique({ where: { id: req.params.id }, include: { items: true } });
              res.json(list);
            });
        """,
    }
    [finding] = run_rules(tmp_path, files, "P103")
    assert finding.fixes == ()
    assert "`items` (ReadListItem) whole, and the rows leave through a route" in finding.message


def test_narrow_related_models_are_not_reported(tmp_path):
    schema = """\
        datasource db {
          provider = "postgresql"
          url      = env("DATABASE_URL")
        }

        model Tag {
          id      Int     @id @default(autoincrement())
          slug    String  @unique
          color   String
          books   Book[]
        }

        model Book {
          id        Int      @id @default(autoincrement())
          title     String
          tagId     Int
          tag       Tag      @relation(fields: [tagId], references: [id])
          createdAt DateTime @default(now())
        }
    """
    files = {
        "prisma/schema.prisma": schema,
        "src/books.ts": """\
            import { prisma } from './prisma';
            export async function titlesWithColor() {
              const books = await prisma.book.findMany({ take: 20, include: { tag: true } });
              return books.map((b) => `${b.title} ${b.tag.color}`);
            }
        """,
    }
    assert run_rules(tmp_path, files, "P103") == []


def test_include_on_a_nest_repository_in_js(tmp_path):
    files = {
        "src/comments/comments.repository.js": """\
            class CommentsRepository {
              constructor(prisma) {
                this.prisma = prisma;
              }

              // « Derniers commentaires » with their authors
              async latest() {
                const rows = await this.prisma.comment.findMany({ take: 10, include: { user: true } });
                return rows.map((c) => ({ text: c.text, by: c.user.name }));
              }
            }
            module.exports = { CommentsRepository };
        """,
    }
    findings = run_rules(tmp_path, files, "P103")
    assert lines_of(tmp_path, findings) == [("src/comments/comments.repository.js", 8, "P103")]


def test_rows_handed_on_by_a_promise_chain_are_not_followed(tmp_path):
    files = {
        "src/routes/lists.routes.ts": """\
            import { Router } from 'express';
            import { prisma } from '../lib/prisma';
            import { serializeList } from '../http/serializers';

            export const router = Router();
            router.put('/lists/:id', async (req, res) => {
              const list = await prisma.readList.update({ where: { id: req.params.id }, data: req.body, include: { items: true } }).catch(() => null);
              if (!list) return res.sendStatus(404);
              res.json(serializeList(list));
            });
        """,
    }
    assert run_rules(tmp_path, files, "P103") == []
