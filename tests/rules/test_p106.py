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


SHOP_SCHEMA = """\
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model User {
  id              String    @id @default(cuid())
  email           String    @unique
  orders          Order[]   @relation("OrderCustomer")
  createdProducts Product[] @relation("ProductCreatedBy")
  updatedProducts Product[] @relation("ProductUpdatedBy")
  sessions        Session[]
}

model Product {
  id          String      @id @default(cuid())
  name        String
  createdById String
  createdBy   User        @relation("ProductCreatedBy", fields: [createdById], references: [id])
  updatedById String?
  updatedBy   User?       @relation("ProductUpdatedBy", fields: [updatedById], references: [id])
  lines       OrderLine[]
}

model Order {
  id         String      @id @default(cuid())
  customerId String
  customer   User        @relation("OrderCustomer", fields: [customerId], references: [id])
  lines      OrderLine[]
  createdAt  DateTime    @default(now())
}

model OrderLine {
  id        String  @id @default(cuid())
  orderId   String
  order     Order   @relation(fields: [orderId], references: [id], onDelete: Cascade)
  productId String
  product   Product @relation(fields: [productId], references: [id])
  quantity  Int
}

model Session {
  id        String   @id
  userId    String
  user      User     @relation(fields: [userId], references: [id], onDelete: Cascade)
  expiresAt DateTime
}
"""

SHOP_CODE = {
    "src/lib/prisma.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
    "src/services/order.service.ts": """\
        import { prisma } from '../lib/prisma';

        export class OrderService {
          /** The order page: its lines with their products. */
          async details(id: string) {
            return prisma.order.findUnique({
              where: { id },
              select: {
                id: true,
                createdAt: true,
                lines: { select: { quantity: true, product: { select: { name: true } } } },
              },
            });
          }

          /** The account badge: how many orders the customer placed. */
          async badge(userId: string) {
            return prisma.user.findUnique({ where: { id: userId }, select: { email: true, _count: { select: { orders: true } } } });
          }
        }
        """,
    "src/services/product.service.ts": """\
        import { prisma } from '../lib/prisma';

        export class ProductService {
          create(name: string, userId: string) {
            return prisma.product.create({ data: { name, createdById: userId }, select: { id: true } });
          }

          rename(id: string, name: string, userId: string) {
            return prisma.product.update({ where: { id }, data: { name, updatedById: userId }, select: { id: true } });
          }

          /** Admin: take a product off the catalogue. */
          remove(id: string) {
            return prisma.product.delete({ where: { id }, select: { id: true } });
          }
        }
        """,
    # The seed empties every table: not a reason for an index.
    "prisma/seed.ts": """\
        import { PrismaClient } from '@prisma/client';
        const prisma = new PrismaClient();
        async function main() {
          await prisma.user.deleteMany();
          await prisma.user.findMany({ include: { sessions: true, createdProducts: true } });
        }
        main();
        """,
}


def test_only_foreign_keys_the_request_code_relies_on_are_reported(tmp_path):
    findings = run_rules(tmp_path, {SCHEMA: SHOP_SCHEMA, **SHOP_CODE}, "P106")
    assert lines_of(tmp_path, findings) == [
        (SCHEMA, line_containing(SHOP_SCHEMA, "  customerId String"), "P106"),  # counted by `_count`
        (SCHEMA, line_containing(SHOP_SCHEMA, "  orderId   String"), "P106"),  # loaded by `lines: { select }`
        (SCHEMA, line_containing(SHOP_SCHEMA, "  productId String"), "P106"),  # products are deleted
    ]  # not the audit columns createdById / updatedById, nor Session.userId (only the seed touches it)
    by_column = {f.message.split("`")[1]: f for f in findings}
    assert "loading `OrderLine` rows through it" in by_column["OrderLine.orderId"].message
    assert "deleting a `Product` row scans `OrderLine`" in by_column["OrderLine.productId"].message
    (related,) = by_column["OrderLine.productId"].related
    assert related.path.endswith("product.service.ts") and related.message == "relies on it"


def test_deleting_a_row_reaches_the_keys_its_cascade_deletes_through(tmp_path):
    code = """\
        import { prisma } from '../lib/prisma';

        export async function closeAccount(userId: string) {
          await prisma.user.delete({ where: { id: userId }, select: { id: true } });
        }
        """
    files = {SCHEMA: SHOP_SCHEMA, "src/lib/prisma.ts": SHOP_CODE["src/lib/prisma.ts"], "src/services/account.service.ts": code}
    found = {f.message.split("`")[1] for f in run_rules(tmp_path, files, "P106")}
    # Every key that refers to User; Order does not cascade from User, so OrderLine.orderId is not reached.
    assert found == {"Product.createdById", "Product.updatedById", "Order.customerId", "Session.userId"}
    # With `onDelete: Cascade` on Order.customer, deleting a user deletes their orders, and each of
    # those deletes looks for the order's lines.
    files[SCHEMA] = SHOP_SCHEMA.replace(
        'customer   User        @relation("OrderCustomer", fields: [customerId], references: [id])',
        'customer   User        @relation("OrderCustomer", fields: [customerId], references: [id], onDelete: Cascade)')
    found = {f.message.split("`")[1] for f in run_rules(tmp_path, files, "P106")}
    assert found == {"Product.createdById", "Product.updatedById", "Order.customerId", "Session.userId", "OrderLine.orderId"}


def test_relation_mode_prisma_reports_every_unindexed_key(tmp_path):
    schema = SHOP_SCHEMA.replace('  url      = env("DATABASE_URL")\n', '  url      = env("DATABASE_URL")\n  relationMode = "prisma"\n')
    findings = run_rules(tmp_path, {SCHEMA: schema, **SHOP_CODE}, "P106")
    assert len(findings) == 6  # every foreign key: none leads an index


def test_a_filter_through_the_relation_relies_on_the_referring_key(tmp_path):
    code = """\
        import { prisma } from '../lib/prisma';

        export function ordersOf(email: string) {
          return prisma.order.findMany({ where: { customer: { email } }, select: { id: true }, take: 20 });
        }
        """
    files = {SCHEMA: SHOP_SCHEMA, "src/lib/prisma.ts": SHOP_CODE["src/lib/prisma.ts"], "src/services/history.service.ts": code}
    assert [f.message.split("`")[1] for f in run_rules(tmp_path, files, "P106")] == ["Order.customerId"]
