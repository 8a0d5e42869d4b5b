import { PrismaClient } from '@prisma/client';

const prisma = new PrismaClient();

async function main() {
  const names = ['Slow Readers', 'Night Owls', 'Poetry Sundays'];
  for (const name of names) {
    const club = await prisma.club.create({ data: { slug: name.toLowerCase().replace(/ /g, '-'), name, description: '', settings: {} } });
    for (let i = 0; i < 5; i++) {
      await prisma.meeting.create({ data: { clubId: club.id, bookTitle: `Book ${i}`, startsAt: new Date() } });
    }
  }
  const all = await prisma.club.findMany();
  console.log(`seeded ${all.length} clubs`);
}

main().finally(() => prisma.$disconnect());
