import { Router } from 'express';
import { prisma } from '../lib/prisma';

export const walletRouter = Router();

// A transfer: the credit must follow the debit (the debit checks the balance).
walletRouter.post('/transfer', async (req, res) => {
  const { from, to, amount } = req.body as { from: string; to: string; amount: number };
  await prisma.$transaction(async (tx) => {
    const debited = await tx.wallet.update({ where: { userId: from }, data: { balance: { decrement: amount } } });
    if (debited.balance < 0) throw new Error('insufficient funds');
    await tx.wallet.update({ where: { userId: to }, data: { balance: { increment: amount } } }); // not A401
  });
  res.sendStatus(204);
});
