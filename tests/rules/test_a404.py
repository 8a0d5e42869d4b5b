"""A404 unbounded-fan-out."""

from helpers import lines_of, run_rules

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
