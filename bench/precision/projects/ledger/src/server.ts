import { app } from './app';
import { startRateRefresh } from './jobs/rates';

startRateRefresh(async () => ({ EUR: 1 }));
app.listen(Number(process.env.PORT ?? 3000));
