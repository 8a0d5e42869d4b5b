"""Shapes that look like the problem a rule names but are not (issue 14),
each next to the shape that is."""

from helpers import line_containing, lines_of, run_rules, with_schema, write_files

MEMBERSHIP_SCHEMA = """\
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Club {
  id          String       @id @default(cuid())
  name        String
  memberships Membership[]
  tenantId    String
  tenant      Tenant       @relation(fields: [tenantId], references: [id])
}

model Tenant {
  id    String @id @default(cuid())
  clubs Club[]
}

model User {
  id          String       @id @default(cuid())
  memberships Membership[]
}

// The composite key leads with clubId: joins on clubId use it.
model Membership {
  clubId String
  userId String
  club   Club   @relation(fields: [clubId], references: [id])
  user   User   @relation(fields: [userId], references: [id])

  @@id([clubId, userId])
}
"""


def test_p106_a_foreign_key_leading_the_primary_key_is_indexed(tmp_path):
    found = run_rules(tmp_path, {"prisma/schema.prisma": MEMBERSHIP_SCHEMA}, "P106")
    # Membership.clubId leads @@id: silent. Membership.userId and Club.tenantId lead nothing: reported.
    assert lines_of(tmp_path, found) == sorted([
        ("prisma/schema.prisma", line_containing(MEMBERSHIP_SCHEMA, "  tenantId    String"), "P106"),
        ("prisma/schema.prisma", line_containing(MEMBERSHIP_SCHEMA, "  userId String"), "P106"),
    ])


WALLET = """\
    import { prisma } from '../lib/prisma';

    export class WalletService {
      // Must not fire: the credit must follow the debit.
      async transfer(from: string, to: string, amount: number) {
        await prisma.readList.update({ where: { id: from }, data: { name: `debit ${amount}` }, select: { id: true } });
        await prisma.readList.update({ where: { id: to }, data: { name: `credit ${amount}` }, select: { id: true } });
      }

      // Must not fire: read, then write the same row.
      async rename(id: string, suffix: string) {
        const list = await prisma.readList.findUniqueOrThrow({ where: { id }, select: { name: true } });
        await prisma.readList.update({ where: { id }, data: { name: list.name + suffix }, select: { id: true } });
      }

      // Must fire: two reads that do not depend on each other.
      async overview(ownerId: string) {
        const lists = await prisma.readList.count({ where: { ownerId } });
        const posts = await prisma.post.count({ where: { authorId: ownerId } });
        return { lists, posts };
      }
    }
"""


def test_a401_ordered_writes_are_not_independent(tmp_path):
    found = run_rules(tmp_path, {"src/services/wallet.service.ts": WALLET}, "A401")
    assert [line for _, line, _ in lines_of(tmp_path, found)] == [line_containing(WALLET, "prisma.post.count")]


CHANNEL = """\
    import type { Socket } from 'node:net';
    import Redis from 'ioredis';

    const subscriber = new Redis(process.env.REDIS_URL!);

    /** Hands listeners to the socket it wraps; callers remove them with off(). */
    export class Channel {
      constructor(private readonly socket: Socket) {}

      on(event: string, cb: (...args: unknown[]) => void) {
        this.socket.on(event, cb);
      }

      off(event: string, cb: (...args: unknown[]) => void) {
        this.socket.off(event, cb);
      }
    }

    export class Notifications {
      // Must fire: a new listener per call, never removed.
      async subscribe(userId: string, push: (m: string) => void) {
        await subscriber.subscribe(`user:${userId}`);
        subscriber.on('message', (_channel, message) => push(message));
      }
    }
"""


def test_a402_a_method_that_forwards_listeners_is_not_a_leak(tmp_path):
    found = run_rules(tmp_path, {"src/lib/channel.ts": CHANNEL}, "A402", schema=False)
    assert [line for _, line, _ in lines_of(tmp_path, found)] == [line_containing(CHANNEL, "subscriber.on('message'")]


QUERY_BUILDER_ROUTES = """\
    import express, { Request, Response, Router } from 'express';
    import { Prisma } from '@prisma/client';
    import { prisma } from '../lib/prisma';

    export const router: Router = express.Router();

    // The client picks the columns and the filter: args is built up before the query.
    router.get('/posts', async (req: Request, res: Response) => {
      const args: Prisma.PostFindManyArgs = {};
      const { select, where } = req.query;
      if (select) {
        args.select = JSON.parse(select as string);
      }
      if (where) {
        args.where = JSON.parse(where as string);
      }
      res.json(await prisma.post.findMany(args));
    });

    // Built the same way, then paginated by a helper that may add any key.
    router.get('/posts/page', async (req: Request, res: Response) => {
      const args = { where: { published: true } } as Prisma.PostFindManyArgs;
      Object.assign(args, paging(req.query));
      res.json(await prisma.post.findMany(args));
    });

    // Nothing changes `args` before the query: every column leaves, every row.
    router.get('/posts/all', async (_req: Request, res: Response) => {
      const args: Prisma.PostFindManyArgs = {};
      const rows = await prisma.post.findMany(args);
      args.take = 10;  // after the query: changes nothing it sent
      res.json(rows);
    });

    function paging(query: any) {
      return { take: Number(query.limit) || 20, skip: Number(query.offset) || 0 };
    }
"""


def test_p101_p102_an_arguments_object_built_up_before_the_query(tmp_path):
    files = {"src/lib/prisma.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
             "src/routes/posts.ts": QUERY_BUILDER_ROUTES}
    found = lines_of(tmp_path, run_rules(tmp_path, files, ["P101", "P102"]))
    first, paged, whole = (line_containing(QUERY_BUILDER_ROUTES, "res.json(await prisma.post.findMany(args))"),
                           line_containing(QUERY_BUILDER_ROUTES, "Object.assign(args") + 1,
                           line_containing(QUERY_BUILDER_ROUTES, "const rows = await prisma.post.findMany(args)"))
    assert found == [
        ("src/routes/posts.ts", first, "P102"),  # `select` may be set; `take` never is
        ("src/routes/posts.ts", whole, "P101"),
        ("src/routes/posts.ts", whole, "P102"),
    ]
    assert paged not in {line for _, line, _ in found}


def test_an_arguments_object_typed_half_way_does_not_stop_the_check(tmp_path):
    """Mid-keystroke: `args.sel` with no value yet, then the query."""
    half = QUERY_BUILDER_ROUTES.replace("args.select = JSON.parse(select as string);", "args.sel", 1)
    files = {"src/lib/prisma.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
             "src/routes/posts.ts": half}
    from perfaudit.server.engine import analyze

    write_files(tmp_path, with_schema(files))
    result = analyze(str(tmp_path))
    assert result.errors == []
    whole = line_containing(half, "const rows = await prisma.post.findMany(args)")
    assert ("src/routes/posts.ts", whole, "P101") in lines_of(tmp_path, result.findings)
