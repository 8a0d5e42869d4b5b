import { prisma } from '../lib/prisma';
import { clubService } from './club.service';

// Contract check run by vitest (see vitest.config.ts `include`).
export async function everyClubHasAName() {
  const clubs = await prisma.club.findMany();
  for (const c of clubs) {
    const again = await clubService.byId(c.id);
    if (!again?.name) throw new Error(`club ${c.id} has no name`);
  }
}
