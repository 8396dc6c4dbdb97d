import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import {
  addRiscReceiver,
  pushRiscEvent,
  startTestEmulator,
  type RiscDelivery,
} from './support/emulator-admin.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/** Two instances on one PostgreSQL database and one emulator: a SET is acted on once, wherever it lands. */
describe('RISC replays across instances', () => {
  let database: TestDatabase;
  let emulator: StandaloneEmulator;
  let first: TestApp;
  let second: TestApp;

  const postTo = async (app: TestApp, set: string) =>
    (
      await fetch(`${app.url}/risc`, {
        method: 'POST',
        headers: { 'content-type': 'application/secevent+jwt' },
        body: set,
      })
    ).status;
  const verificationFor = async (app: TestApp): Promise<RiscDelivery> => {
    const deliveries = await pushRiscEvent(emulator.url, { type: 'verification', state: 'x' });
    const delivery = deliveries.find((each) => each.url === `${app.url}/risc`);
    if (!delivery) throw new Error('no delivery to the first instance');
    return delivery;
  };

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    emulator = await startTestEmulator(3600);
    const env = { GOOGLE_EMULATOR_URL: emulator.url, RATE_LIMIT_RISC_PER_MINUTE: '1000' };
    first = await startTestApp(database, env);
    second = await startTestApp(database, env);
    await addRiscReceiver(emulator.url, {
      url: `${first.url}/risc`,
      client_id: first.config.google.clientId,
    });
  });

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await emulator?.close();
    await database?.drop();
  });

  it('a SET the first instance accepted is refused by the second', async () => {
    const delivery = await verificationFor(first);
    expect(delivery.status).toBe(202);
    expect(await postTo(second, delivery.set)).toBe(400);
  });

  it('the same SET sent to both at once is accepted exactly once', async () => {
    await fetch(`${emulator.url}/__emulator/risc/receivers`, { method: 'DELETE' });
    await addRiscReceiver(emulator.url, {
      url: 'http://127.0.0.1:9/nowhere',
      client_id: first.config.google.clientId,
    });
    const { set } = (await pushRiscEvent(emulator.url, { type: 'verification', state: 'y' }))[0];
    for (let round = 0; round < 3; round++) {
      const statuses = await Promise.all([postTo(first, set), postTo(second, set)]);
      const expected = round === 0 ? [202, 400] : [400, 400];
      expect([...statuses].sort()).toEqual(expected);
    }
  });
});
