// Seed script: runs once and exits, so it has a client of its own.
import { PrismaClient } from '@prisma/client';
import bcrypt from 'bcrypt';

const prisma = new PrismaClient();

const BOOKS = [
  { isbn: '9780060883287', title: 'Cien años de soledad', author: 'Gabriel García Márquez' },
  { isbn: '9782070360024', title: "L'Étranger", author: 'Albert Camus' },
  { isbn: '9780141439518', title: 'Pride and Prejudice', author: 'Jane Austen' },
  { isbn: '9784101010014', title: '吾輩は猫である', author: '夏目漱石' },
  { isbn: '9780553283686', title: 'Hyperion', author: 'Dan Simmons' },
];

async function main(): Promise<void> {
  const passwordHash = await bcrypt.hash('demo-password', 10);
  const alice = await prisma.user.upsert({
    where: { email: 'alice@example.com' },
    update: {},
    create: { email: 'alice@example.com', displayName: 'Alice Martín', passwordHash },
    select: { id: true },
  });
  await prisma.book.createMany({ data: BOOKS, skipDuplicates: true });
  const books = await prisma.book.findMany({ select: { id: true }, orderBy: { id: 'asc' }, take: BOOKS.length });
  await prisma.readList.create({
    data: {
      ownerId: alice.id,
      title: 'À lire cet été ☀️',
      visibility: 'PUBLIC',
      items: { create: books.map((book, position) => ({ bookId: book.id, position })) },
    },
    select: { id: true },
  });
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => prisma.$disconnect());
