import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { RefreshSpool } from './refresh-spool.js';
import { tokenRow } from './refresh.test-harness.js';

const refreshedRow = (id: string) =>
  tokenRow({
    id,
    userId: `user-${id}`,
    refreshTokenCiphertext: `v1:k:envelope-of-${id}`,
    version: 8,
    refreshCount: 4,
    lastRefreshedAt: new Date('2026-11-29T10:00:00.000Z'),
    expiresAt: new Date('2026-11-29T10:59:59.000Z'),
  });

describe('RefreshSpool', () => {
  let directory: string;
  let spool: RefreshSpool;

  beforeEach(async () => {
    directory = join(await mkdtemp(join(tmpdir(), 'tokenkeep-spool-')), 'refresh-spool');
    spool = new RefreshSpool(directory);
  });

  afterEach(async () => {
    await spool.close();
    await rm(join(directory, '..'), { recursive: true, force: true });
  });

  it('gives back, after a restart, what was written and not released', async () => {
    const kept = await spool.write({ baseVersion: 7, refreshed: refreshedRow('a') });
    const released = await spool.write({ baseVersion: 7, refreshed: refreshedRow('b') });
    await spool.release(released);
    await spool.close();

    const reopened = new RefreshSpool(directory);
    const { entries, unreadable } = await reopened.readAll();
    await reopened.close();
    expect(unreadable).toEqual([]);
    expect(entries.map((entry) => [entry.slot, entry.baseVersion, entry.refreshed.id])).toEqual([
      [kept, 7, 'a'],
    ]);
    expect(entries[0].refreshed).toEqual(
      expect.objectContaining({
        userId: 'user-a',
        refreshTokenCiphertext: 'v1:k:envelope-of-a',
        version: 8,
        refreshCount: 4,
        expiresAt: new Date('2026-11-29T10:59:59.000Z'),
        lastRefreshedAt: new Date('2026-11-29T10:00:00.000Z'),
      }),
    );
  });

  it('keeps its folder and files private, and makes more slots when all are taken', async () => {
    const slots = new Set<string>();
    for (let index = 0; index < 20; index++) {
      slots.add(await spool.write({ baseVersion: 1, refreshed: refreshedRow(`r${index}`) }));
    }
    expect(slots.size).toBe(20);
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    for (const name of await readdir(directory)) {
      expect((await stat(join(directory, name))).mode & 0o777).toBe(0o600);
    }
    expect((await spool.readAll()).entries.length).toBe(20);
  });

  it('names a record torn by a crash as unreadable and replays nothing from it', async () => {
    const slot = await spool.write({ baseVersion: 1, refreshed: refreshedRow('torn') });
    await spool.close();
    const file = await open(join(directory, slot), 'r+');
    await file.write(Buffer.from('garbage'), 0, 7, 60);
    await file.close();

    const reopened = new RefreshSpool(directory);
    const { entries, unreadable } = await reopened.readAll();
    await reopened.close();
    expect(entries).toEqual([]);
    expect(unreadable).toEqual([join(directory, slot)]);
  });
});
