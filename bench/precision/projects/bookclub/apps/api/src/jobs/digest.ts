import { replica } from '../lib/prisma';

/** Weekly digest from the replica: the newest ratings. */
export async function weeklyDigest() {
  const reviews = await replica.review.findMany({ select: { isbn: true, rating: true }, take: 100 });
  return reviews.map((r) => `${r.isbn}: ${r.rating}/5`);
}
