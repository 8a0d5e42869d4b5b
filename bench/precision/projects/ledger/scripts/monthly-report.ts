import { prisma } from '../src/lib/prisma';

/** Run by hand once a month: one query per account is fine here. */
async function main() {
  const accounts = await prisma.account.findMany();
  for (const account of accounts) {
    const total = await prisma.entry.aggregate({ where: { accountId: account.id }, _sum: { amount: true } });
    console.log(account.name, total._sum.amount);
  }
}

void main();
