"""P105 prisma-missing-index on service code as Prisma backends write it."""

from helpers import APP_SCHEMA, line_containing, lines_of, run_rules

SCHEMA = "prisma/schema.prisma"


def schema_line(needle: str) -> int:
    return line_containing(APP_SCHEMA, needle)


def related_lines(tmp_path, finding) -> list[tuple[str, int]]:
    """(relative path, 1-based line) of each query site a schema finding lists."""
    from pathlib import Path

    from perfaudit.server.analysis.text import LineIndex

    return sorted((Path(r.path).relative_to(tmp_path).as_posix(), LineIndex(Path(r.path).read_bytes()).line_of(r.start) + 1)
                  for r in finding.related)


FEED = """\
import { prisma } from '../db';

export class PostService {
  async publishedFeed(page: number) {
    return prisma.post.findMany({
      where: { published: true },
      orderBy: { createdAt: 'desc' },
      take: 20,
      skip: page * 20,
    });
  }
}
"""


def test_filter_and_sort_without_index_fire_once_at_the_schema_field(tmp_path):
    findings = run_rules(tmp_path, {"src/posts/post.service.ts": FEED}, "P105")
    # One problem, one finding: at the schema fields, the query as related information.
    assert lines_of(tmp_path, findings) == sorted([
        (SCHEMA, schema_line("  published   Boolean"), "P105"),
        (SCHEMA, schema_line("  createdAt   DateTime  @default(now())"), "P105"),
    ])
    for f in findings:
        assert related_lines(tmp_path, f)[0] in {("src/posts/post.service.ts", line_containing(FEED, "where:")),
                                                 ("src/posts/post.service.ts", line_containing(FEED, "orderBy:"))}
        assert [fx.title for fx in f.fixes] == ["Add @@index([published, createdAt]) to Post"]


def test_composite_prefix_and_partly_served_filters_are_silent(tmp_path):
    code = """\
    import { PrismaClient } from '@prisma/client';

    export class PostRepository {
      constructor(private prisma: PrismaClient) {}

      byAuthor(authorId: string, cursor?: string) {
        return this.prisma.post.findMany({
          where: { authorId },
          orderBy: { createdAt: 'desc' },
          cursor: cursor ? { id: cursor } : undefined,
          take: 20,
        });
      }

      publishedByAuthor(authorId: string) {
        return this.prisma.post.findMany({ where: { authorId, published: true }, take: 20 });
      }

      byEmail(email: string) {
        return this.prisma.user.findUnique({ where: { email } });
      }

      rename(id: string, title: string) {
        return this.prisma.post.update({ where: { id }, data: { title } });
      }

      allTitles() {
        return this.prisma.post.findMany({ orderBy: { title: 'asc' }, select: { title: true } });
      }

      withoutDrafts() {
        return this.prisma.post.count({ where: { NOT: { title: 'draft' } } });
      }
    }
    """
    assert run_rules(tmp_path, {"src/post.repository.ts": code}, "P105") == []


def test_where_from_helper_return_and_spread_is_resolved(tmp_path):
    code = """\
    import { prisma } from './db';

    const visible = { published: true };

    export class SearchService {
      private buildWhere(title: string) {
        return { ...visible, title };
      }

      search(title: string) {
        return prisma.post.findMany({ where: this.buildWhere(title), take: 10 });
      }
    }
    """
    findings = run_rules(tmp_path, {"src/search.service.ts": code}, "P105")
    assert lines_of(tmp_path, findings) == sorted([
        (SCHEMA, schema_line("  title       String"), "P105"),
        (SCHEMA, schema_line("  published   Boolean"), "P105"),
    ])
    assert related_lines(tmp_path, findings[0]) == [("src/search.service.ts", line_containing(code, "prisma.post.findMany"))]
    assert {fx.title for f in findings for fx in f.fixes} == {"Add @@index([published, title]) to Post"}


def test_to_one_relation_filter_points_at_the_related_model(tmp_path):
    code = """\
    import { prisma } from './db';

    export const commentsOnTitle = (title: string) =>
      prisma.comment.findMany({ where: { post: { is: { title } } }, take: 50 });
    """
    findings = run_rules(tmp_path, {"src/comments.ts": code}, "P105")
    assert lines_of(tmp_path, findings) == [(SCHEMA, schema_line("  title       String"), "P105")]
    assert related_lines(tmp_path, findings[0]) == [("src/comments.ts", 4)]


def test_opaque_where_gives_no_finding(tmp_path):
    code = """\
    import { Prisma } from '@prisma/client';
    import { prisma } from './db';

    export function list(where: Prisma.PostWhereInput, extra: object) {
      return Promise.all([
        prisma.post.findMany({ where, take: 10 }),
        prisma.post.findMany({ where: { ...extra, title: 'x' }, take: 10 }),
      ]);
    }
    """
    assert run_rules(tmp_path, {"src/list.ts": code}, "P105") == []


def test_min_sites_counts_query_sites(tmp_path):
    one = """\
    import { prisma } from './db';

    export const byTitle = (title: string) => prisma.post.findFirst({ where: { title } });
    """
    assert run_rules(tmp_path / "a", {"src/a.ts": one}, "P105", options={"P105": {"min-sites": 2}}) == []
    two = one + "export const countTitle = (title: string) => prisma.post.count({ where: { title } });\n"
    findings = run_rules(tmp_path / "b", {"src/a.ts": two}, "P105", options={"P105": {"min-sites": 2}})
    assert [line for _, line, _ in lines_of(tmp_path / "b", findings)] == [schema_line("  title       String")]
    schema_finding = next(f for f in findings if f.path.endswith(".prisma"))
    assert len(schema_finding.related) == 2
    assert "2 query sites" in schema_finding.message


SORT_SCHEMA = """\
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Ticket {
  id         String    @id @default(cuid())
  projectId  String
  assigneeId String?
  title      String
  priority   Int
  archived   Boolean   @default(false)
  deletedAt  DateTime?
  createdAt  DateTime  @default(now())
  updatedAt  DateTime  @updatedAt

  @@index([projectId, createdAt])
  @@index([assigneeId])
}
"""

TICKETS = """\
import { prisma } from '../db';

export class TicketRepository {
  // Filter served by (projectId, createdAt), sort on priority is not.
  topPriority(projectId: string) {
    return prisma.ticket.findMany({
      where: { projectId },
      orderBy: { priority: 'desc' },
      take: 10,
    });
  }

  // Single-column index on the filter, sort on updatedAt: same story.
  recentlyTouched(assigneeId: string) {
    return prisma.ticket.findFirst({ where: { assigneeId }, orderBy: { updatedAt: 'desc' } });
  }

  // (projectId, createdAt) serves filter and sort.
  newest(projectId: string, cursor?: string) {
    return prisma.ticket.findMany({
      where: { projectId },
      orderBy: { createdAt: 'desc' },
      take: 20,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
  }

  // No take: the whole filtered set is read anyway, the sort adds no need.
  allByPriority(projectId: string) {
    return prisma.ticket.findMany({ where: { projectId }, orderBy: { priority: 'asc' } });
  }

  // Flags alone: never a reason for an index of their own.
  archivedCount() {
    return prisma.ticket.count({ where: { archived: true } });
  }

  live() {
    return prisma.ticket.findMany({ where: { deletedAt: null, archived: false } });
  }
}
"""


def test_sort_not_served_by_the_filter_index_names_the_composite_that_serves_both(tmp_path):
    files = {"prisma/schema.prisma": SORT_SCHEMA, "src/tickets/ticket.repository.ts": TICKETS}
    findings = run_rules(tmp_path, files, "P105")
    path = "src/tickets/ticket.repository.ts"
    assert lines_of(tmp_path, findings) == [
        (path, line_containing(TICKETS, "orderBy: { priority: 'desc' }"), "P105"),
        (path, line_containing(TICKETS, "orderBy: { updatedAt: 'desc' }"), "P105"),
    ]
    by_line = {lines_of(tmp_path, [f])[0][1]: f for f in findings}
    top = by_line[line_containing(TICKETS, "orderBy: { priority: 'desc' }")]
    assert "`@@index([projectId, createdAt])` serves the filter on `projectId` but not the sort on `priority`" in top.message
    assert "`@@index([projectId, priority])` serves both the filter and the sort" in top.message
    assert [fx.title for fx in top.fixes] == ["Add @@index([projectId, priority]) to Ticket"]
    data = (tmp_path / path).read_bytes()
    assert data[top.start:top.end] == b"orderBy"
    recent = by_line[line_containing(TICKETS, "orderBy: { updatedAt: 'desc' }")]
    assert [fx.title for fx in recent.fixes] == ["Add @@index([assigneeId, updatedAt]) to Ticket"]


def test_sort_finding_goes_once_the_composite_exists(tmp_path):
    schema = SORT_SCHEMA.replace("  @@index([assigneeId])", "  @@index([assigneeId])\n  @@index([projectId, priority])\n  @@index([assigneeId, updatedAt])")
    files = {"prisma/schema.prisma": schema, "src/tickets/ticket.repository.ts": TICKETS}
    assert run_rules(tmp_path, files, "P105") == []


def test_a_flag_alone_is_no_reason_for_an_index_but_joins_a_composite(tmp_path):
    code = """\
    import { prisma } from '../db';

    export const archived = () => prisma.ticket.findMany({ where: { archived: true } });
    export const undeleted = () => prisma.ticket.count({ where: { deletedAt: null } });
    export const byTitle = (title: string) => prisma.ticket.findMany({ where: { title, deletedAt: null } });
    """
    findings = run_rules(tmp_path, {"prisma/schema.prisma": SORT_SCHEMA, "src/tickets/queries.ts": code}, "P105")
    assert lines_of(tmp_path, findings) == [
        ("prisma/schema.prisma", line_containing(SORT_SCHEMA, "  title "), "P105"),
        ("prisma/schema.prisma", line_containing(SORT_SCHEMA, "  deletedAt "), "P105"),
    ]
    assert related_lines(tmp_path, findings[0]) == [("src/tickets/queries.ts", line_containing(code, "byTitle"))]
    assert {fx.title for f in findings for fx in f.fixes} == {"Add @@index([title, deletedAt]) to Ticket"}
