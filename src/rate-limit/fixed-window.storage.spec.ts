import { describe, expect, it } from '@jest/globals';
import { FixedWindowStorage } from './fixed-window.storage.js';

describe('FixedWindowStorage', () => {
  const clock = () => {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('counts hits per key and limit, and blocks past the limit until the block ends', async () => {
    const time = clock();
    const storage = new FixedWindowStorage(time.now);
    for (let hit = 1; hit <= 3; hit++) {
      expect(await storage.increment('ip:1', 60_000, 3, 60_000, 'graphql')).toMatchObject({
        totalHits: hit,
        isBlocked: false,
      });
    }
    expect(await storage.increment('ip:1', 60_000, 3, 60_000, 'graphql')).toEqual({
      totalHits: 4,
      timeToExpire: 60,
      isBlocked: true,
      timeToBlockExpire: 60,
    });
    // Other keys and other limits count on their own.
    expect((await storage.increment('ip:2', 60_000, 3, 60_000, 'graphql')).totalHits).toBe(1);
    expect((await storage.increment('ip:1', 60_000, 3, 60_000, 'sign-in')).totalHits).toBe(1);
    time.advance(30_000);
    expect(await storage.increment('ip:1', 60_000, 3, 60_000, 'graphql')).toMatchObject({
      isBlocked: true,
      timeToBlockExpire: 30,
    });
    time.advance(30_000);
    expect(await storage.increment('ip:1', 60_000, 3, 60_000, 'graphql')).toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
  });

  it('starts a new window when the old one has ended', async () => {
    const time = clock();
    const storage = new FixedWindowStorage(time.now);
    await storage.increment('k', 1000, 10, 1000, 't');
    await storage.increment('k', 1000, 10, 1000, 't');
    time.advance(1000);
    expect((await storage.increment('k', 1000, 10, 1000, 't')).totalHits).toBe(1);
  });

  it('forgets finished windows, so a flood of one-off clients does not stay in memory', async () => {
    const time = clock();
    const storage = new FixedWindowStorage(time.now);
    for (let client = 0; client < 9_999; client++) {
      await storage.increment(`ip:${client}`, 1000, 10, 1000, 't');
    }
    expect(storage.size).toBe(9_999);
    time.advance(1000);
    await storage.increment('ip:new', 1000, 10, 1000, 't');
    expect(storage.size).toBe(1);
  });
});
