"""P103 prisma-include-without-select."""


from helpers import apply_fix, line_containing, lines_of, run_rules
from perfaudit.server.analysis.parsing import parse

READ_LIST_SERVICE = """\
    import { prisma } from '../lib/prisma';

    const withItems = { items: { orderBy: { position: 'asc' as const } } };

    export class ReadListService {
      async withOwner(id: string) {
        return prisma.readList.findUnique({ where: { id }, include: { owner: true, _count: true } });
      }

      async full(id: string) {
        return prisma.readList.findUnique({
          where: { id },
          include: withItems,
        });
      }

      async postsWithComments(authorId: string) {
        return prisma.post.findMany({
          where: { authorId },
          take: 20,
          include: {
            comments: { include: { user: true } },
          },
        });
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
        return prisma.readList.update({ where: { id }, data: { name }, include: { owner: true } });
      }
    }
"""


def run(tmp_path):
    findings = run_rules(tmp_path, {"src/services/readList.service.ts": READ_LIST_SERVICE}, "P103")
    return sorted(findings, key=lambda f: f.start)


def test_whole_relations_fire_on_the_query_line(tmp_path):
    findings = run(tmp_path)
    rel = "src/services/readList.service.ts"
    assert lines_of(tmp_path, findings) == [
        (rel, line_containing(READ_LIST_SERVICE, "include: { owner: true, _count"), "P103"),
        (rel, line_containing(READ_LIST_SERVICE, "async full") + 1, "P103"),
        (rel, line_containing(READ_LIST_SERVICE, "async postsWithComments") + 1, "P103"),
        (rel, line_containing(READ_LIST_SERVICE, "async rename") + 1, "P103"),
    ]
    assert "`owner` (User)" in findings[0].message and "_count" not in findings[0].message
    assert "`comments` (Comment), `comments.user` (User)" in findings[2].message


def test_fix_selects_the_related_scalars(tmp_path):
    owner, items, nested, rename = run(tmp_path)
    assert (
        "include: { owner: { select: { id: true, email: true, name: true, role: true, createdAt: true } }, _count: true }"
        in apply_fix(owner)
    )
    # The relation options live in a shared const: the fix edits it.
    assert (
        "const withItems = { items: { select: { id: true, readListId: true, url: true, title: true, position: true, "
        "addedAt: true }, orderBy: { position: 'asc' as const } } };"
    ) in apply_fix(items)
    fixed = apply_fix(nested)
    assert (
        "comments: { select: { id: true, text: true, postId: true, userId: true, createdAt: true, "
        "user: { select: { id: true, email: true, name: true, role: true, createdAt: true } } } },"
    ) in fixed
    for f in (owner, items, nested, rename):
        assert not parse(apply_fix(f).encode(), "typescript").root_node.has_error


def test_include_on_a_nest_repository_in_js(tmp_path):
    files = {
        "src/comments/comments.repository.js": """\
            class CommentsRepository {
              constructor(prisma) {
                this.prisma = prisma;
              }

              // « Derniers commentaires » with their authors
              latest() {
                return this.prisma.comment.findMany({ take: 10, include: { user: true } });
              }
            }
            module.exports = { CommentsRepository };
        """,
    }
    findings = run_rules(tmp_path, files, "P103")
    assert lines_of(tmp_path, findings) == [("src/comments/comments.repository.js", 8, "P103")]
