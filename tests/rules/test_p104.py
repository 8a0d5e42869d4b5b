"""P104 prisma-query-in-loop across the layers real backends have."""

from helpers import lines_of, run_rules
from perfaudit.server.engine import Engine
from perfaudit.server.analysis.parsing import parse
from perfaudit.server.analysis.workspace import Workspace

TSCONFIG = '{ "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["src/*"] } } }'

# routes -> controller -> service -> base service -> repository -> prisma
LAYERED = {
    "tsconfig.json": TSCONFIG,
    "src/lib/prisma.ts": """\
        import { PrismaClient } from '@prisma/client';
        export const prisma = new PrismaClient();
        """,
    "src/repositories/readListItem.repository.ts": """\
        import type { PrismaClient } from '@prisma/client';
        export class PrismaReadListItemRepository {
          constructor(private readonly db: PrismaClient) {}
          async create(data: { readListId: string; url: string; title: string; position: number }) {
            return this.db.readListItem.create({ data, select: { id: true } });
          }
          toRow(x: unknown) { return x; }
        }
        """,
    "src/repositories/index.ts": "export * from './readListItem.repository';\n",
    "src/services/base.service.ts": """\
        export interface Repository<T> { create(data: unknown): Promise<T>; }
        export abstract class BaseService<T> {
          protected abstract readonly repository: Repository<T>;
          async create(data: unknown): Promise<T> {
            // Validation happens here in real code (é, ü: non-ASCII comment)
            return this.repository.create(data);
          }
        }
        """,
    "src/services/readListItem.service.ts": """\
        import { prisma } from '@/lib/prisma';
        import { PrismaReadListItemRepository } from '@/repositories';
        import { BaseService } from './base.service';
        export class ReadListItemService extends BaseService<{ id: string }> {
          protected readonly repository = new PrismaReadListItemRepository(prisma);
        }
        export const readListItemService = new ReadListItemService();
        """,
    "src/services/index.ts": "export { readListItemService } from './readListItem.service';\n",
    "src/controllers/readList.controller.ts": """\
        import type { Request, Response } from 'express';
        import { readListItemService } from '@/services';

        export class ReadListController {
          addItems = async (req: Request, res: Response) => {
            const urls: string[] = req.body.urls;
            const created = [];
            for (const [position, url] of urls.entries()) {
              created.push(await readListItemService.create({ readListId: req.params.id, url, title: url, position }));
            }
            res.status(201).json(created);
          };

          preview = async (req: Request, res: Response) => {
            const urls: string[] = req.body.urls;
            const pages = [];
            for (const url of urls) {
              const response = await fetch(url); // HTTP per item: not a query
              pages.push(await response.text());
            }
            res.json(pages);
          };
        }
        """,
}


def test_n_plus_one_four_calls_deep_through_barrels_aliases_and_base_class(tmp_path):
    findings = run_rules(tmp_path, LAYERED, "P104")
    assert lines_of(tmp_path, findings) == [("src/controllers/readList.controller.ts", 9, "P104")]
    message = findings[0].message
    assert "ReadListItem.create via BaseService.create -> PrismaReadListItemRepository.create" in message
    assert "createMany" in message
    # The query site is given as related information.
    assert findings[0].related[0].path.endswith("readListItem.repository.ts")


def test_direct_and_transaction_loops_with_fixes(tmp_path):
    files = {
        "src/services/import.service.ts": """\
            import { PrismaClient } from '@prisma/client';
            const prisma = new PrismaClient();

            export async function importItems(readListId: string, urls: string[]) {
              await prisma.$transaction(async (tx) => {
                for (const url of urls) {
                  await tx.readListItem.create({ data: { readListId, url, title: url, position: 0 } });
                }
              });
            }

            export async function removeAll(ids: string[]) {
              for (const id of ids) {
                await prisma.readListItem.delete({ where: { id } });
              }
            }

            export async function authorsOf(posts: { authorId: string }[]) {
              const out = [];
              for (const post of posts) {
                const author = await prisma.user.findUnique({ where: { id: post.authorId }, select: { id: true, name: true } });
                out.push(author);
              }
              return out;
            }
            """,
    }
    findings = run_rules(tmp_path, files, "P104")
    assert lines_of(tmp_path, findings) == [
        ("src/services/import.service.ts", 7, "P104"),
        ("src/services/import.service.ts", 14, "P104"),
        ("src/services/import.service.ts", 21, "P104"),
    ]
    source = (tmp_path / "src/services/import.service.ts").read_bytes()
    for finding in findings:
        assert finding.fixes, finding.message
        fixed = source
        for edit in sorted(finding.fixes[0].edits, key=lambda e: -e.start):
            fixed = fixed[: edit.start] + edit.new_text.encode() + fixed[edit.end :]
        tree = parse(fixed, "typescript")
        assert not tree.root_node.has_error, fixed.decode()
    create_fix = findings[0].fixes[0].edits[0].new_text
    # createMany keeps what each iteration created, laid out within the width of the loop's lines.
    assert create_fix == (
        "await tx.readListItem.createMany({\n"
        "      data: urls.map((url) => ({ readListId, url, title: url, position: 0 })),\n"
        "    });"
    )
    assert findings[1].fixes[0].edits[0].new_text == "await prisma.readListItem.deleteMany({ where: { id: { in: ids } } });"
    prelude, lookup = findings[2].fixes[0].edits
    assert "findMany({ where: { id: { in: posts.map((post) => post.authorId) } }, select: { id: true, name: true } })" in prelude.new_text
    assert lookup.new_text == "(userById.get(post.authorId) ?? null)"


def test_loops_that_must_not_fire(tmp_path):
    files = {
        "src/services/feed.service.ts": """\
            import { PrismaClient } from '@prisma/client';
            import { promises as fs } from 'fs';
            const prisma = new PrismaClient();

            export class FeedService {
              // A file scan per directory: awaits in a loop, but no query.
              async attachments(dirs: string[]) {
                const names: string[] = [];
                for (const dir of dirs) {
                  const entries = await fs.readdir(dir);
                  names.push(...entries);
                }
                return names;
              }

              private listeners: Array<() => Promise<unknown>> = [];

              async build(userIds: string[]) {
                // A query before and after the loop, not inside it.
                const users = await prisma.user.findMany({ where: { id: { in: userIds } }, select: { id: true } });
                const names = [];
                for (const user of users) {
                  names.push(user.id.toUpperCase());
                }
                // Prisma batches same-tick findUnique calls into one query.
                const posts = await Promise.all(userIds.map((id) => prisma.post.findUnique({ where: { id } })));
                // A fixed, literal list of a few items.
                for (const role of ['USER', 'ADMIN']) {
                  await prisma.user.count({ where: { role: role as any } });
                }
                // A callback stored for later, never called here.
                for (const id of userIds) {
                  this.listeners.push(() => prisma.user.delete({ where: { id } }));
                }
                // Promises collected, then awaited together (A404's business, not N+1).
                const pending = [];
                for (const id of userIds) {
                  pending.push(prisma.comment.count({ where: { userId: id } }));
                }
                await Promise.all(pending);
                // Lazy queries handed to one $transaction batch.
                await prisma.$transaction(userIds.map((id) => prisma.user.update({ where: { id }, data: { name: 'x' } })));
                // The same, spread into the batch after an (idle) await of the array.
                await prisma.$transaction([
                  prisma.comment.deleteMany({ where: { userId: { in: userIds } } }),
                  ...(await userIds.map((id) => prisma.user.update({ where: { id }, data: { name: 'y' } }))),
                ]);
                return { names, posts, total: await prisma.post.count() };
              }
            }
            """,
    }
    assert run_rules(tmp_path, files, "P104") == []


NEST = {
    "src/prisma/prisma.service.ts": """\
        import { Injectable, OnModuleInit } from '@nestjs/common';
        import { PrismaClient } from '@prisma/client';
        @Injectable()
        export class PrismaService extends PrismaClient implements OnModuleInit {
          async onModuleInit() { await this.$connect(); }
        }
        """,
    "src/users/users.repository.ts": """\
        import { Injectable } from '@nestjs/common';
        import { PrismaService } from '../prisma/prisma.service';
        @Injectable()
        export class UsersRepository {
          constructor(private readonly prisma: PrismaService) {}
          findById(id: string) {
            return this.prisma.user.findUnique({ where: { id }, select: { id: true, email: true } });
          }
        }
        """,
    "src/users/users.service.ts": """\
        import { Injectable } from '@nestjs/common';
        import { UsersRepository } from './users.repository';
        @Injectable()
        export class UsersService {
          constructor(private readonly usersRepository: UsersRepository) {}
          async findOne(id: string) {
            return this.usersRepository.findById(id);
          }
        }
        """,
    "src/posts/posts.service.ts": """\
        import { Injectable } from '@nestjs/common';
        import { UsersService } from '../users/users.service';
        @Injectable()
        export class PostsService {
          constructor(private readonly usersService: UsersService) {}
          async withAuthors(posts: { authorId: string }[]) {
            const result = [];
            for (const post of posts) {
              result.push({ ...post, author: await this.usersService.findOne(post.authorId) });
            }
            return result;
          }
          async notify(posts: { authorId: string }[]) {
            posts.forEach(async (post) => {
              await this.usersService.findOne(post.authorId);
            });
          }
        }
        """,
}


def test_nestjs_injected_services(tmp_path):
    findings = run_rules(tmp_path, NEST, "P104")
    assert lines_of(tmp_path, findings) == [
        ("src/posts/posts.service.ts", 9, "P104"),
        ("src/posts/posts.service.ts", 15, "P104"),
    ]
    assert "via UsersService.findOne -> UsersRepository.findById" in findings[0].message


COMMONJS = {
    "lib/db.js": """\
        const { PrismaClient } = require('@prisma/client');
        const prisma = new PrismaClient();
        module.exports = { prisma };
        """,
    "lib/orders.js": """\
        const { prisma } = require('./db');
        async function markShipped(orderId) {
          return prisma.post.update({ where: { id: orderId }, data: { published: true } });
        }
        module.exports = { markShipped };
        """,
    "routes/orders.js": """\
        const express = require('express');
        const orders = require('../lib/orders');
        const router = express.Router();
        router.post('/ship', async (req, res) => {
          let i = 0;
          while (i < req.body.ids.length) {
            await orders.markShipped(req.body.ids[i]);
            i += 1;
          }
          res.sendStatus(204);
        });
        module.exports = router;
        """,
}


def test_commonjs_app(tmp_path):
    findings = run_rules(tmp_path, COMMONJS, "P104")
    assert lines_of(tmp_path, findings) == [("routes/orders.js", 7, "P104")]
    assert "via markShipped" in findings[0].message


def test_editing_the_repository_clears_the_finding_in_the_service(tmp_path):
    """Only the repository changes; the loop's file is re-checked from the index."""
    from helpers import write_files, with_schema

    write_files(tmp_path, with_schema(LAYERED))
    ws = Workspace(str(tmp_path))
    ws.load()
    engine = Engine(ws)
    controller = str(tmp_path / "src/controllers/readList.controller.ts")
    repo = str(tmp_path / "src/repositories/readListItem.repository.ts")
    assert [f.code for f in engine.check_file(controller) if f.code == "P104"] == ["P104"]

    text = ws.files[repo].text.replace(
        "return this.db.readListItem.create({ data, select: { id: true } });",
        "return { id: data.url }; // kept in memory now",
    )
    # The controller's last check read the repository: an editor re-checks it.
    assert ws.files[controller].path in ws.index.dependents(ws.files[repo].path)
    assert ws.set_source(repo, text)  # the repository's facts changed
    assert [f.code for f in engine.check_file(controller) if f.code == "P104"] == []


def test_half_typed_file_still_reports_the_rest(tmp_path):
    files = {
        "src/jobs/sync.ts": """\
            import { PrismaClient } from '@prisma/client';
            const prisma = new PrismaClient();
            export async function sync(ids: string[]) {
              for (const id of ids) {
                await prisma.user.delete({ where: { id } });
              }
            }
            export function broken( {
              const x = prisma.user.
            """,
    }
    findings = run_rules(tmp_path, files, "P104")
    assert lines_of(tmp_path, findings) == [("src/jobs/sync.ts", 5, "P104")]


def test_loop_over_a_const_array_literal_is_a_fixed_few_items(tmp_path):
    files = {
        "src/setup/defaults.ts": """\
            import { prisma } from '../lib/prisma';

            const DEFAULT_LISTS = [
              { name: 'Read later', ownerId: 'system' },
              { name: 'Favourites', ownerId: 'system' },
            ];

            export async function ensureDefaults() {
              for (const list of DEFAULT_LISTS) {
                await prisma.readList.create({ data: list });
              }
            }

            export async function importLists(rows: { name: string; ownerId: string }[]) {
              const pending = [{ name: 'Inbox', ownerId: 'system' }];
              pending.push(...rows);
              for (const list of pending) {
                await prisma.readList.create({ data: list });
              }
            }

            export async function copyLists(DEFAULT_LISTS: { name: string; ownerId: string }[]) {
              for (const list of DEFAULT_LISTS) {
                await prisma.readList.create({ data: list });
              }
            }
        """,
    }
    findings = run_rules(tmp_path, files, "P104")
    # The grown list and the parameter that shadows the constant still fire.
    assert lines_of(tmp_path, findings) == [
        ("src/setup/defaults.ts", 18, "P104"),
        ("src/setup/defaults.ts", 24, "P104"),
    ]


def test_create_with_a_nested_relation_write_gets_no_create_many_fix(tmp_path):
    # createMany accepts no `connect`/nested `create`: the finding stays, the fix does not.
    files = {
        "src/posts/import.ts": """\
            import { prisma } from '../lib/prisma';

            export async function importPosts(rows: { title: string; body: string; authorId: string }[]) {
              for (const row of rows) {
                await prisma.post.create({
                  data: { title: row.title, body: row.body, author: { connect: { id: row.authorId } } },
                });
              }
            }

            export async function importComments(rows: { text: string; postId: string; userId: string }[]) {
              for (const row of rows) {
                await prisma.comment.create({ data: { text: row.text, postId: row.postId, userId: row.userId } });
              }
            }
        """,
    }
    findings = sorted(run_rules(tmp_path, files, "P104"), key=lambda f: f.start)
    assert [len(f.fixes) for f in findings] == [0, 1]
    assert "createMany" in findings[1].fixes[0].edits[0].new_text


def test_a_retry_loop_that_leaves_on_success_is_not_n_plus_1(tmp_path):
    files = {
        "src/lib/prisma.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
        "src/lists/slugs.ts": """\
            import { prisma } from '../lib/prisma';

            const randomSlug = () => Math.random().toString(36).slice(2, 10);

            export async function createWithFreshSlug(ownerId: string, name: string) {
              for (let tries = 0; tries < 3; tries++) {
                try {
                  const list = await prisma.readList.create({ data: { ownerId, name: `${name}-${randomSlug()}` } });
                  return list.id;
                } catch (err: any) {
                  if (err?.code === 'P2002') continue;
                  throw err;
                }
              }
              throw new Error('no free slug');
            }

            export async function firstFree(candidates: string[]) {
              for (const name of candidates) {
                const taken = await prisma.readList.findFirst({ where: { name }, select: { id: true } });
                if (!taken) return name;
              }
              return null;
            }

            export async function claimOne(ids: string[]) {
              let claimed = null;
              while (ids.length) {
                const id = ids.shift()!;
                switch (id[0]) {
                  case 'x':
                    await prisma.readList.delete({ where: { id } });
                    break;
                  default:
                    claimed = await prisma.readList.update({ where: { id }, data: { name: 'claimed' } });
                }
                if (claimed) break;
              }
              return claimed;
            }
        """,
    }
    findings = run_rules(tmp_path, files, "P104")
    # The retry leaves after its create; `firstFree` probes every candidate
    # (its return is conditional); a `break` that ends a `switch` case is not
    # the loop's, and the later conditional break leaves the update counted.
    assert lines_of(tmp_path, findings) == [
        ("src/lists/slugs.ts", 20, "P104"),
        ("src/lists/slugs.ts", 32, "P104"),
        ("src/lists/slugs.ts", 35, "P104"),
    ]


def test_create_many_fix_is_laid_out_like_its_surroundings(tmp_path):
    """One line when it fits the width of the loop's lines; else `data:` on a line of its
    own; else the object's properties too; the indentation unit is the file's (4 here)."""
    def fix_of(loop_body: str) -> str:
        files = {
            "src/lib/prisma.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
            "prisma/schema.prisma": (
                "model Tag {\n  id        String @id\n  postId    String\n  name      String\n"
                "  createdBy String\n  source    String\n  @@index([postId])\n}\n"
            ),
            "src/services/tag.service.ts": (
                "import { prisma } from '../lib/prisma';\n\n"
                "export async function addTags(postId: string, names: string[]) {\n"
                "    for (const name of names) {\n"
                f"{loop_body}\n"
                "    }\n"
                "}\n"
            ),
        }
        (finding,) = run_rules(tmp_path, files, "P104")
        return finding.fixes[0].edits[0].new_text

    short = fix_of("        await prisma.tag.create({ data: { name } });")
    assert short == "await prisma.tag.createMany({ data: names.map((name) => ({ name })) });"
    longer = fix_of("        await prisma.tag.create({ data: { postId, name, createdBy: 'import', source: 'csv' } });")
    assert longer == (
        "await prisma.tag.createMany({\n"
        "        data: names.map((name) => ({ postId, name, createdBy: 'import', source: 'csv' })),\n"
        "    });"
    )
    longest = fix_of(
        "        await prisma.tag.create({\n"
        "            data: { postId, name, createdBy: 'bulk-import', source: 'spreadsheet-upload' },\n"
        "        });"
    )
    assert longest == (
        "await prisma.tag.createMany({\n"
        "        data: names.map((name) => ({\n"
        "            postId, name, createdBy: 'bulk-import', source: 'spreadsheet-upload',\n"
        "        })),\n"
        "    });"
    )


CHUNKS_AND_GUARDS = """\
    import { prisma } from '../lib/prisma';

    type Row = { readListId: string; url: string; title: string; position: number };

    export class ImportService {
      // Must not fire: one createMany per chunk of 500 rows is the batched form.
      async importRows(rows: Row[]) {
        for (let i = 0; i < rows.length; i += 500) {
          await prisma.readListItem.createMany({ data: rows.slice(i, i + 500) });
        }
      }

      // Must not fire: bounded deletes repeated until a short batch comes back.
      async purgeOld(cutoff: Date) {
        let n = 0;
        do {
          n = await prisma.$executeRaw`DELETE FROM "Comment" WHERE id IN (SELECT id FROM "Comment" WHERE "createdAt" < ${cutoff} LIMIT 1000)`;
        } while (n >= 1000);
      }

      // Must not fire: only the first row renames the list.
      async importInto(listId: string, name: string, rows: Row[]) {
        for (const [i, row] of rows.entries()) {
          if (i === 0) {
            await prisma.readList.update({ where: { id: listId }, data: { name }, select: { id: true } });
          }
          console.log(row.title);
        }
      }

      // Must fire: one createMany per list is still one round trip per list.
      async copyLists(lists: { items: Row[] }[]) {
        for (const list of lists) {
          await prisma.readListItem.createMany({ data: list.items });
        }
      }

      // Must fire: the guard does not limit it to one iteration.
      async touchAll(rows: Row[]) {
        for (const row of rows) {
          if (row.position > 0) {
            await prisma.readList.update({ where: { id: row.readListId }, data: { name: row.title }, select: { id: true } });
          }
        }
      }
    }
"""


def test_chunked_batches_and_one_iteration_guards_are_not_n_plus_one(tmp_path):
    from helpers import line_containing

    findings = run_rules(tmp_path, {"src/services/import.service.ts": CHUNKS_AND_GUARDS}, "P104")
    assert [line for _, line, _ in lines_of(tmp_path, findings)] == [
        line_containing(CHUNKS_AND_GUARDS, "createMany({ data: list.items })"),
        line_containing(CHUNKS_AND_GUARDS, "where: { id: row.readListId }"),
    ]
