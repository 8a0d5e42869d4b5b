"""A404 unbounded-fan-out."""

from helpers import APP_SCHEMA, lines_of, run_rules

SERVICE = """\
    import { PrismaClient } from '@prisma/client';
    import pLimit from 'p-limit';
    const prisma = new PrismaClient();
    const limit = pLimit(5);

    export class ReadListService {
      async reorder(items: { id: string; position: number }[]) {
        await Promise.all(
          items.map(async (item) => {
            await prisma.readListItem.update({ where: { id: item.id }, data: { position: item.position } });
          }),
        );
      }

      async archive(ids: string[]) {
        const jobs = ids.map((id) => this.archiveOne(id));
        return Promise.allSettled(jobs);
      }

      private async archiveOne(id: string) {
        return prisma.readList.update({ where: { id }, data: { name: 'archived' } });
      }

      // Must not fire: Prisma batches same-tick findUnique calls.
      async byIds(ids: string[]) {
        return Promise.all(ids.map((id) => prisma.user.findUnique({ where: { id } })));
      }

      // Must not fire: concurrency bounded with p-limit.
      async reorderLimited(items: { id: string; position: number }[]) {
        await Promise.all(items.map((item) => limit(() => prisma.readListItem.update({ where: { id: item.id }, data: { position: item.position } }))));
      }

      // Must not fire: a literal array of two.
      async twoCounts(ownerId: string) {
        return Promise.all([ownerId, ownerId].map((id) => prisma.readList.count({ where: { ownerId: id } })));
      }

      // Must not fire: HTTP calls, no query.
      async ping(urls: string[]) {
        return Promise.all(urls.map((url) => fetch(url)));
      }

      // Must fire: a findUnique after another await is not same-tick.
      async enrich(ids: string[]) {
        return Promise.all(ids.map(async (id) => {
          const meta = await fetch(`https://api.example.com/${id}`);
          return prisma.user.findUnique({ where: { id } });
        }));
      }
    }
    """


def test_fan_outs(tmp_path):
    findings = run_rules(tmp_path, {"src/services/readList.service.ts": SERVICE}, "A404")
    assert lines_of(tmp_path, findings) == [
        ("src/services/readList.service.ts", 10, "A404"),
        ("src/services/readList.service.ts", 16, "A404"),
        ("src/services/readList.service.ts", 48, "A404"),
    ]
    assert "via ReadListService.archiveOne" in findings[1].message
    assert "p-limit" in findings[0].message


def test_fan_out_is_not_also_p104(tmp_path):
    findings = run_rules(tmp_path, {"src/services/readList.service.ts": SERVICE}, "P104")
    assert findings == []


FIXED_AND_TRANSACTIONAL = """\
    import { Prisma, PrismaClient, BookStatus } from '@prisma/client';
    const prisma = new PrismaClient();

    enum Quarter { Q1 = 'Q1', Q2 = 'Q2', Q3 = 'Q3', Q4 = 'Q4' }

    export class ReportService {
      // Must not fire: one per value of a Prisma enum.
      async countsByStatus(ownerId: string) {
        return Promise.all(Object.values(BookStatus).map((status) => prisma.book.count({ where: { ownerId, status } })));
      }

      // Must not fire: one per value of a TypeScript enum.
      async quarterTotals(year: number) {
        return Promise.all(Object.keys(Quarter).map((q) => prisma.order.aggregate({ where: { year, quarter: q }, _sum: { total: true } })));
      }

      // Must not fire: twelve months.
      async monthly(year: number) {
        return Promise.all(Array.from({ length: 12 }).map((_, m) => prisma.order.count({ where: { year, month: m + 1 } })));
      }

      // Must not fire: inside the transaction every query runs on its one connection.
      async addItems(listId: string, rows: { url: string; title: string }[]) {
        await prisma.$transaction(async (tx) => {
          await Promise.all(rows.map((row, i) => tx.readListItem.create({ data: { readListId: listId, url: row.url, title: row.title, position: i } })));
        });
      }

      // Must fire: the same map outside a transaction, over the request's rows.
      async addItemsLoose(listId: string, rows: { url: string; title: string }[]) {
        await Promise.all(rows.map((row, i) => prisma.readListItem.create({ data: { readListId: listId, url: row.url, title: row.title, position: i } })));
      }

      // Must fire: Object.values of a runtime object (not an enum) is as large as the data.
      async perOwner(byOwner: Record<string, string[]>) {
        await Promise.all(Object.values(byOwner).map((ids) => prisma.book.updateMany({ where: { id: { in: ids } }, data: { archived: true } })));
      }
    }
"""


REPORT_SCHEMA = APP_SCHEMA + """
enum BookStatus {
  DRAFT
  PUBLISHED
  ARCHIVED
}

model Book {
  id       String     @id @default(cuid())
  ownerId  String
  status   BookStatus
  archived Boolean    @default(false)

  @@index([ownerId, status])
}

model Order {
  id      String @id @default(cuid())
  year    Int
  quarter String
  month   Int
  total   Int
}
"""


def test_fixed_size_maps_and_transactions_are_not_fan_outs(tmp_path):
    files = {"prisma/schema.prisma": REPORT_SCHEMA, "src/services/report.service.ts": FIXED_AND_TRANSACTIONAL}
    findings = run_rules(tmp_path, files, "A404")
    from helpers import line_containing

    assert [line for _, line, _ in lines_of(tmp_path, findings)] == [
        line_containing(FIXED_AND_TRANSACTIONAL, "prisma.readListItem.create"),
        line_containing(FIXED_AND_TRANSACTIONAL, "Object.values(byOwner)"),
    ]
