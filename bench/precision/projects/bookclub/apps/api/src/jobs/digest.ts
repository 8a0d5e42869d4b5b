import { jobsDb } from './remember';

/** Weekly digest: the newest reviews, titles only. */
export async function weeklyDigest() {
  const reviews = await jobsDb.review.findMany({ select: { isbn: true, rating: true }, take: 100 });
  return reviews.map((r) => `${r.isbn}: ${r.rating}/5`);
}
