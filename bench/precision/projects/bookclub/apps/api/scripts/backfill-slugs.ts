import { prisma } from '../src/lib/prisma';

/** One-off: give every club a slug made from its name. */
async function run() {
  const clubs = await prisma.club.findMany({ where: { slug: '' } });
  for (const club of clubs) {
    await prisma.club.update({ where: { id: club.id }, data: { slug: club.name.toLowerCase() } });
    const reviews = await prisma.review.findMany({ where: { isbn: club.id } });
    console.log(club.name, reviews.length);
  }
}

void run();
