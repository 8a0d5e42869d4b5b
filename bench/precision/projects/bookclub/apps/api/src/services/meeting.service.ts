import { prisma } from '../lib/prisma';

type MeetingRow = { clubId: string; bookTitle: string; startsAt: Date };

export class MeetingService {
  async reminders(meetingIds: string[]) {
    const out: string[] = [];
    for (const id of meetingIds) {
      const meeting = await prisma.meeting.findUnique({ where: { id }, select: { bookTitle: true } }); // expect P104
      if (meeting) out.push(meeting.bookTitle);
    }
    return out;
  }

  /** Already batched: one createMany per chunk of 500 rows. */
  async importCalendar(rows: MeetingRow[]) {
    for (let i = 0; i < rows.length; i += 500) {
      await prisma.meeting.createMany({ data: rows.slice(i, i + 500) }); // not P104
    }
  }

  /** Deletes in bounded batches so no single statement holds locks for long. */
  async purgeBefore(cutoff: Date) {
    let deleted = 0;
    do {
      deleted = await prisma.$executeRaw`DELETE FROM "Meeting" WHERE id IN (SELECT id FROM "Meeting" WHERE "startsAt" < ${cutoff} LIMIT 1000)`; // not P104
    } while (deleted >= 1000);
  }

  /** The first row also renames the club: one query, not one per row. */
  async importWithRename(clubId: string, newName: string, rows: MeetingRow[]) {
    for (const [i, row] of rows.entries()) {
      if (i === 0) {
        await prisma.club.update({ where: { id: clubId }, data: { name: newName }, select: { id: true } }); // not P104
      }
      console.log(row.bookTitle);
    }
  }

  /** Drag-and-drop: the client sends every meeting's new date. */
  async reschedule(items: { id: string; startsAt: Date }[]) {
    await Promise.all(
      items.map((item) => prisma.meeting.update({ where: { id: item.id }, data: { startsAt: item.startsAt }, select: { id: true } })), // expect A404
    );
  }

  /** Inside the transaction every write shares one connection. */
  async copyMeetings(fromClub: string, toClub: string) {
    const source = await prisma.meeting.findMany({ where: { clubId: fromClub }, select: { bookTitle: true, startsAt: true }, take: 100 });
    await prisma.$transaction(async (tx) => {
      await Promise.all(source.map((m) => tx.meeting.create({ data: { clubId: toClub, bookTitle: m.bookTitle, startsAt: m.startsAt } }))); // not A404
    });
  }
}

export const meetingService = new MeetingService();
