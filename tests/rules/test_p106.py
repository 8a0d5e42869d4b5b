"""P106 prisma-foreign-key-without-index, and its agreement with P105."""

from helpers import APP_SCHEMA, line_containing, lines_of, run_rules

SCHEMA = "prisma/schema.prisma"


def test_unindexed_foreign_key_fires_on_the_scalar_field(tmp_path):
    findings = run_rules(tmp_path, {"src/app.ts": "export {};\n"}, "P106")
    # Post.authorId, Comment.postId, ReadList.ownerId, ReadListItem.readListId lead an index.
    assert lines_of(tmp_path, findings) == [(SCHEMA, line_containing(APP_SCHEMA, "  userId    String"), "P106")]
    (fix,) = findings[0].fixes
    assert fix.title == "Add @@index([userId]) to Comment"
    assert fix.edits[0].new_text == "  @@index([userId])\n"


def test_foreign_key_reported_by_p105_gets_one_finding(tmp_path):
    code = """\
    import { prisma } from './db';

    export const userComments = (userId: string) =>
      prisma.comment.findMany({ where: { userId }, orderBy: { createdAt: 'desc' }, take: 20 });
    """
    findings = run_rules(tmp_path, {"src/comments.ts": code}, ["P105", "P106"])
    user_id = line_containing(APP_SCHEMA, "  userId    String")
    # P105 reports userId (and the sort column createdAt, two lines below); P106 stays quiet.
    assert [x for x in lines_of(tmp_path, findings) if x[0] == SCHEMA] == [
        (SCHEMA, user_id, "P105"),
        (SCHEMA, user_id + 2, "P105"),
    ]
    assert run_rules(tmp_path, {"src/comments.ts": code}, ["P106"]) != []


def test_unique_and_compound_foreign_keys_are_covered(tmp_path):
    schema = """\
    datasource db {
      provider = "postgresql"
      url      = env("DATABASE_URL")
    }

    model User {
      id      String   @id
      profile Profile?
      grants  Grant[]
    }

    model Profile {
      id     String @id
      userId String @unique
      user   User   @relation(fields: [userId], references: [id])
    }

    model Grant {
      tenantId String
      userId   String
      user     User   @relation(fields: [userId], references: [id])
      role     Role   @relation(fields: [tenantId, roleName], references: [tenantId, name])
      roleName String

      @@id([userId, tenantId])
      @@index([roleName, tenantId])
    }

    model Role {
      tenantId String
      name     String
      grants   Grant[]

      @@id([tenantId, name])
    }
    """
    assert run_rules(tmp_path, {"prisma/schema.prisma": schema, "src/a.ts": "export {};\n"}, "P106") == []


def test_mongodb_has_no_foreign_keys(tmp_path):
    schema = APP_SCHEMA.replace('provider = "postgresql"', 'provider = "mongodb"')
    assert run_rules(tmp_path, {"prisma/schema.prisma": schema, "src/a.ts": "export {};\n"}, "P106") == []
