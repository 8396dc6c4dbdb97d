import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createRateLimitStorage, type RateLimitStorage } from './rate-limit-storage.js';

// Real Redis: the test services (npm test's global setup) provide TEST_REDIS_URL.
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('rate-limit counters in Redis', () => {
  const opened: RateLimitStorage[] = [];
  const open = async (url: string, onFailure = () => {}) => {
    const storage = await createRateLimitStorage(url, onFailure);
    opened.push(storage);
    return storage;
  };
  afterAll(async () => {
    for (const storage of opened) await storage.close();
  });

  it('two instances count one limit together', async () => {
    const key = `ip:test-${randomBytes(6).toString('hex')}`;
    const a = (await open(REDIS_URL)).storage;
    const b = (await open(REDIS_URL)).storage;
    const seen: boolean[] = [];
    for (let hit = 0; hit < 6; hit++) {
      const storage = hit % 2 === 0 ? a : b;
      seen.push((await storage.increment(key, 60_000, 4, 60_000, 'graphql')).isBlocked);
    }
    expect(seen).toEqual([false, false, false, false, true, true]);
    const record = await a.increment(key, 60_000, 4, 60_000, 'graphql');
    expect(record.totalHits).toBe(7);
    expect(record.timeToBlockExpire).toBeGreaterThan(0);
  });

  it('serves without limits, and counts the failure, when Redis does not answer', async () => {
    // A port that accepts connections and never answers: a hung Redis.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    let failures = 0;
    const storage = (await open(`redis://127.0.0.1:${port}`, () => failures++)).storage;
    const record = await storage.increment('ip:hung', 60_000, 1, 60_000, 'graphql');
    expect(record.isBlocked).toBe(false);
    expect(failures).toBe(1);
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('serves without limits when nothing listens at the Redis address', async () => {
    let failures = 0;
    const storage = (await open('redis://127.0.0.1:1', () => failures++)).storage;
    for (let hit = 0; hit < 3; hit++) {
      expect((await storage.increment('ip:down', 60_000, 1, 60_000, 'graphql')).isBlocked).toBe(
        false,
      );
    }
    expect(failures).toBe(3);
  });

  it('keeps counters in the process when no Redis is configured', async () => {
    const storage = await createRateLimitStorage(undefined, () => {});
    expect(storage.shared).toBe(false);
    expect((await storage.storage.increment('k', 1000, 1, 1000, 't')).isBlocked).toBe(false);
    expect((await storage.storage.increment('k', 1000, 1, 1000, 't')).isBlocked).toBe(true);
  });
});
