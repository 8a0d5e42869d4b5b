"""P101 prisma-no-select."""

from pathlib import Path

from helpers import APP_SCHEMA, apply_fix, line_containing, lines_of, run_rules
from perfaudit.server.analysis.parsing import parse

USER_SERVICE = """\
    import { prisma } from '../lib/prisma';

    export class UserService {
      async names() {
        const users = await prisma.user.findMany({ where: { role: 'USER' }, take: 50 });
        return users.map((u) => u.name);
      }

      async contact(id: string) {
        const { email, name } = await prisma.user.findUniqueOrThrow({ where: { id } });
        return `${name} <${email}>`;
      }

      async exists(email: string) {
        const user = await prisma.user.findUnique({ where: { email } });
        return user !== null;
      }

      async profile(id: string) {
        const user = await prisma.user.findUnique({
          where: { id },
          include: { posts: { select: { id: true, title: true } } },
        });
        return user;
      }

      async selected(id: string) {
        return prisma.user.findUnique({ where: { id }, select: { id: true, name: true } });
      }

      async omitted(id: string) {
        return prisma.user.findUnique({ where: { id }, omit: { email: true } });
      }

      async passthrough(args: { where: { id: string } }) {
        return prisma.user.findFirst(args);
      }

      async spreadUnknown(base: object) {
        return prisma.user.findMany({ ...base, take: 10 });
      }

      async counted() {
        return prisma.user.count({ where: { role: 'ADMIN' } });
      }

      async grouped() {
        return prisma.post.aggregate({ _count: true });
      }
    }
"""


# One heavy column each on User and Post: single-row reads report only
# heavy columns left unused (a row of small ones costs nothing worth a line).
SCHEMA = APP_SCHEMA.replace("  role      Role       @default(USER)\n",
                            "  role      Role       @default(USER)\n  bio       String?    @db.Text\n", 1) \
                   .replace("  body        String\n", "  body        String    @db.Text\n", 1)
assert SCHEMA.count("@db.Text") == 2


def p101(tmp_path, files: dict[str, str]):
    return run_rules(tmp_path, {"prisma/schema.prisma": SCHEMA, **files}, "P101")


def has_errors(text: str) -> bool:
    return parse(text.encode(), "typescript").root_node.has_error


def test_reads_without_select_fire_on_the_query_line(tmp_path):
    findings = p101(tmp_path, {"src/services/user.service.ts": USER_SERVICE})
    expected = [
        line_containing(USER_SERVICE, "role: 'USER' }, take: 50"),
        line_containing(USER_SERVICE, "findUniqueOrThrow({ where: { id } })"),
        line_containing(USER_SERVICE, "findUnique({ where: { email } })"),
    ]
    assert lines_of(tmp_path, findings) == [("src/services/user.service.ts", n, "P101") for n in expected]


def test_fix_selects_the_fields_the_code_reads(tmp_path):
    findings = p101(tmp_path, {"src/services/user.service.ts": USER_SERVICE})
    findings.sort(key=lambda f: f.start)
    names, contact, exists = findings
    assert names.message == (
        "`prisma.user.findMany` has no `select`: the code reads 1 of User's 6 columns; "
        "`bio` (heavy), `id`, `email`, `role` and 1 more come back unused"
    )
    assert "only checks that a row exists" in exists.message
    assert names.fixes[0].title == "Add select (1 field the code reads)"
    assert "findMany({ select: { name: true }, where: { role: 'USER' }, take: 50 })" in apply_fix(names)
    assert "findUniqueOrThrow({ select: { email: true, name: true }, where: { id } })" in apply_fix(contact)
    # Only tested for existence: the id is enough.
    assert "findUnique({ select: { id: true }, where: { email } })" in apply_fix(exists)
    for f in findings:
        assert not has_errors(apply_fix(f))


PROFILE = """\
    import { prisma } from '../lib/prisma';

    export async function profileCard(id: string) {
      const user = await prisma.user.findUnique({
        where: { id },
        include: { posts: { select: { id: true, title: true } } },
      });
      if (!user) return null;
      return { name: user.name, posts: user.posts };
    }
"""


def test_include_becomes_the_select(tmp_path):
    [profile] = p101(tmp_path, {"src/services/profile.service.ts": PROFILE})
    fixed = apply_fix(profile)
    # The fields read, and the relation keeps its options.
    assert "    select: { name: true, posts: { select: { id: true, title: true } } }," in fixed
    assert "include" not in fixed
    assert not has_errors(fixed)


def test_a_row_returned_whole_outside_a_route_is_silent(tmp_path):
    """What the caller reads is unknown: no finding, and never a fix that
    selects every column (it would fetch the same data)."""
    files = {
        "src/services/user.service.ts": """\
            import { prisma } from '../lib/prisma';
            export async function byId(id: string) {
              return prisma.user.findUnique({ where: { id } });
            }
            export async function byEmail(email: string) {
              const user = await prisma.user.findUnique({ where: { email } });
              return user;
            }
        """,
    }
    assert run_rules(tmp_path, files, "P101") == []


def test_reading_every_column_is_silent(tmp_path):
    files = {
        "src/services/export.service.ts": """\
            import { prisma } from '../lib/prisma';
            export async function csvRows() {
              const users = await prisma.user.findMany({ take: 1000 });
              return users.map((u) => [u.id, u.email, u.name, u.role, u.createdAt.toISOString()].join(','));
            }
        """,
    }
    assert run_rules(tmp_path, files, "P101") == []


def test_heavy_unused_columns_are_named_first(tmp_path):
    schema = APP_SCHEMA + """
model Document {
  id        String   @id @default(cuid())
  title     String
  ownerId   String
  body      String   @db.Text
  meta      Json
  createdAt DateTime @default(now())
}
"""
    files = {
        "prisma/schema.prisma": schema,
        "src/services/docs.service.ts": """\
            import { prisma } from '../lib/prisma';
            export async function titles(ownerId: string) {
              const docs = await prisma.document.findMany({ where: { ownerId }, take: 50 });
              return docs.map((d) => ({ id: d.id, title: d.title }));
            }
        """,
    }
    [finding] = run_rules(tmp_path, files, "P101")
    assert "`body` (heavy), `meta` (heavy), `ownerId`, `createdAt` come back unused" in finding.message


def test_include_through_a_member_has_no_fix_and_says_so(tmp_path):
    files = {
        "src/services/book.service.ts": """\
            import { prisma } from '../lib/prisma';

            export class PostService {
              private readonly includeConfig = { author: true };

              async heading(id: string) {
                const post = await prisma.post.findUnique({ where: { id }, include: this.includeConfig });
                if (!post) throw new Error('not found');
                return `${post.title} by ${post.author.name}`;
              }
            }
        """,
    }
    [finding] = p101(tmp_path, files)
    assert finding.fixes == ()
    assert "cannot be siblings" in finding.message


def test_multiline_call_inserts_select_on_its_own_line(tmp_path):
    files = {
        "src/repositories/post.repository.ts": """\
            import { PrismaService } from '../prisma.service';

            export class PostRepository {
              constructor(private readonly prisma: PrismaService) {}

              async titles(authorId: string) {
                const posts = await this.prisma.post.findMany({
                  where: { authorId },
                  take: 20,
                });
                const out: string[] = [];
                for (const post of posts) out.push(post.title);
                return out;
              }
            }
        """,
    }
    [finding] = run_rules(tmp_path, files, "P101")
    assert lines_of(tmp_path, [finding]) == [("src/repositories/post.repository.ts", 7, "P101")]
    fixed = apply_fix(finding)
    assert "findMany({\n      select: { title: true },\n      where: { authorId }," in fixed
    assert not has_errors(fixed)


def test_transaction_client_and_js_and_tsx(tmp_path):
    files = {
        "src/services/transfer.ts": """\
            // Überweisung: « liste » copiée — 日本語 comment
            import { prisma } from '../lib/prisma';

            export async function copyList(id: string) {
              return prisma.$transaction(async (tx) => {
                const lists = await tx.readList.findMany({ where: { ownerId: id }, take: 20 });
                return tx.readList.createMany({ data: lists.map((list) => ({ name: list.name, ownerId: list.ownerId })) });
              });
            }
        """,
        "src/legacy/users.js": """\
            const { prisma } = require('../lib/prisma');

            async function emails() {
              const users = await prisma.user.findMany({ take: 10 });
              return users.map(({ email }) => email);
            }
            module.exports = { emails };
        """,
        "src/pages/Users.tsx": """\
            import { prisma } from '../lib/prisma';

            export default async function Users() {
              const users = await prisma.user.findMany({ take: 20 });
              return <ul>{users.map((u) => <li key={u.id}>{u.name}</li>)}</ul>;
            }
        """,
    }
    findings = run_rules(tmp_path, files, "P101")
    assert lines_of(tmp_path, findings) == [
        ("src/legacy/users.js", 4, "P101"),
        ("src/pages/Users.tsx", 4, "P101"),
        ("src/services/transfer.ts", 6, "P101"),
    ]
    titles = {Path(f.path).name: f.fixes[0].title for f in findings}
    assert titles["users.js"] == "Add select (1 field the code reads)"
    assert titles["Users.tsx"] == "Add select (2 fields the code reads)"
    assert titles["transfer.ts"] == "Add select (2 fields the code reads)"


def test_a_row_sent_whole_by_a_route_fires_without_a_fix(tmp_path):
    files = {
        "src/routes/users.ts": """\
            import { Router } from 'express';
            import { prisma } from '../lib/prisma';

            export const router = Router();
            router.get('/users/:id', async (req, res) => {
              const user = await prisma.user.findUnique({ where: { id: req.params.id } });
              console.log(user.email);
              res.json(user);
            });
        """,
    }
    [finding] = run_rules(tmp_path, files, "P101")
    assert finding.fixes == ()
    assert "the whole row leaves through a route: all 5 columns of User go to the client" in finding.message


def test_half_typed_code_does_not_crash_and_still_reports(tmp_path):
    files = {
        "src/services/draft.ts": """\
            import { prisma } from '../lib/prisma';

            export async function a() {
              const users = await prisma.user.findMany({ take: 5 });
              return users.map((u) => u.
            }

            export async function b() {
              const post = await prisma.post.findFirst({ where: { published: true } });
              return post?.title;
            }
        """,
    }
    findings = p101(tmp_path, files)
    assert ("src/services/draft.ts", 9, "P101") in lines_of(tmp_path, findings)


def _reads(source: str, many: bool):
    from perfaudit.server.prisma.select_fields import fields_read

    tree = parse(source.encode(), "typescript")
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        fn = node.child_by_field_name("function") if node.type == "call_expression" else None
        if fn is not None and fn.text.startswith(b"prisma."):
            return fields_read(node, many)
        stack.extend(node.children)
    raise AssertionError("no query in source")


def test_fields_read_follows_rows_and_gives_up_when_they_escape():
    q = "await prisma.user.findMany({ take: 5 })"
    assert _reads(f"async function f() {{ const us = {q}; for (const {{ id, name }} of us) log(id, name); }}", True) == {"id", "name"}
    assert _reads(f"async function f() {{ const us = {q}; return us.filter((u) => u.role === 'ADMIN').map((u) => u.email); }}", True) == {"role", "email"}
    assert _reads(f"async function f() {{ const us = {q}; const first = us[0]; return first?.name ?? ''; }}", True) == {"name"}
    assert _reads(f"async function f() {{ const us = {q}; return {{ us }}; }}", True) is None
    assert _reads(f"async function f() {{ const us = {q}; return us.map((u) => ({{ ...u }})); }}", True) is None
    assert _reads(f"async function f() {{ const us = {q}; us.forEach(send); }}", True) is None
    assert _reads(f"async function f() {{ let us = {q}; us = []; return us.length; }}", True) is None
    one = "await prisma.user.findUnique({ where: { id } })"
    assert _reads(f"async function f(id) {{ const {{ email, ...rest }} = {one}; return rest; }}", False) is None
    assert _reads(f"async function f(id) {{ const u = {one}; if (!u) return null; return u.email; }}", False) == {"email"}


def test_models_of_three_columns_or_fewer_are_not_reported(tmp_path):
    # A label table keyed by its name, a three-column tag table: nothing worth a `select`.
    schema = """\
        datasource db {
          provider = "postgresql"
          url      = env("DATABASE_URL")
        }

        model Label {
          name   String    @id
          notes  Note[]
        }

        model Tag {
          id    Int    @id @default(autoincrement())
          slug  String @unique
          color String
        }

        model Note {
          id        Int      @id @default(autoincrement())
          text      String
          pinned    Boolean  @default(false)
          createdAt DateTime @default(now())
          labels    Label[]
        }
    """
    files = {
        "prisma/schema.prisma": schema,
        "src/labels.ts": """\
            import { db } from './db';

            export async function allLabels() {
              const labels = await db.label.findMany({ take: 500 });
              return labels.map((l) => l.name);
            }

            export async function tagColors() {
              const tags = await db.tag.findMany({ take: 100 });
              return tags.map((t) => t.color);
            }

            export async function pinnedTexts() {
              const notes = await db.note.findMany({ where: { pinned: true }, take: 20 });
              return notes.map((n) => n.text);
            }
        """,
    }
    findings = run_rules(tmp_path, files, "P101")
    assert lines_of(tmp_path, findings) == [("src/labels.ts", 14, "P101")]


def test_two_timestamps_left_out_are_not_worth_a_line(tmp_path):
    files = {
        "src/routes/auth.ts": """\
            import { Router } from 'express';
            import { prisma } from '../lib/prisma';

            export const router = Router();
            router.post('/login', async (req, res) => {
              const user = await prisma.user.findUnique({ where: { email: req.body.email } });
              if (!user) return res.sendStatus(401);
              res.json({ id: user.id, name: user.name, email: user.email, role: user.role });
            });
        """,
    }
    # 4 of User's 5 columns read: `createdAt` alone comes back unused.
    assert run_rules(tmp_path, files, "P101") == []


SERVICE_AND_CONTROLLER = {
    "src/services/user.service.ts": """\
        import { prisma } from '../lib/prisma';
        export class UserService {
          async byId(id: string) {
            const user = await prisma.user.findUnique({ where: { id } });
            return user;
          }
          async card(id: string) {
            return prisma.user.findUnique({ where: { id } });
          }
        }
        export const userService = new UserService();
    """,
    "src/routes/users.ts": """\
        import { Router } from 'express';
        import { userService } from '../services/user.service';
        import { toCard } from '../http/serializers';

        export const router = Router();
        // Sends the row as the service returns it: every column goes out.
        router.get('/users/:id', async (req, res) => {
          res.json(await userService.byId(req.params.id));
        });
        // A serializer picks what goes out: unknown, so silent.
        router.get('/users/:id/card', async (req, res) => {
          const user = await userService.card(req.params.id);
          res.json(toCard(user));
        });
    """,
}


def test_a_row_a_route_sends_as_the_service_returns_it_fires(tmp_path):
    found = run_rules(tmp_path, SERVICE_AND_CONTROLLER, "P101")
    assert lines_of(tmp_path, found) == [("src/services/user.service.ts", 4, "P101")]
    assert found[0].fixes == () and "leaves through a route" in found[0].message


def test_an_existence_check_in_an_if_selects_the_key(tmp_path):
    files = {
        "src/routes/auth.ts": """\
            import { Router } from 'express';
            import { prisma } from '../lib/prisma';

            export const router = Router();
            router.post('/register', async (req, res) => {
              const existing = await prisma.user.findUnique({ where: { email: req.body.email } });
              if (existing) return res.sendStatus(409);
              res.sendStatus(201);
            });
        """,
    }
    [finding] = p101(tmp_path, files)
    assert "only checks that a row exists" in finding.message
    assert "findUnique({ select: { id: true }, where: { email: req.body.email } })" in apply_fix(finding)


def test_one_row_of_small_columns_is_not_worth_a_select(tmp_path):
    """A single-row read reports the columns it leaves unused only when one
    is heavy (Json, Bytes, `@db.Text`, arrays): a few small columns of one
    row cost nothing next to the round trip. Many rows are another matter."""
    files = {
        "src/services/user.service.ts": """\
            import { prisma } from '../lib/prisma';

            export async function exists(email: string) {
              const user = await prisma.user.findUnique({ where: { email } });
              return user !== null;
            }

            export async function names() {
              const users = await prisma.user.findMany({ where: { role: 'USER' }, take: 50 });
              return users.map((u) => u.name);
            }
        """,
    }
    code = files["src/services/user.service.ts"]
    small = run_rules(tmp_path, files, "P101")  # the app schema: User has no heavy column
    assert [line for _, line, _ in lines_of(tmp_path, small)] == [line_containing(code, "findMany")]
    heavy = p101(tmp_path, files)  # User.bio is `@db.Text`
    assert [line for _, line, _ in lines_of(tmp_path, heavy)] == [line_containing(code, "findUnique"), line_containing(code, "findMany")]
