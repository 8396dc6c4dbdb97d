import { mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
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
  let root: string;
  const opened: RefreshSpool[] = [];
  const spoolIn = (folder: string) => {
    const spool = new RefreshSpool(folder);
    opened.push(spool);
    return spool;
  };

  beforeEach(async () => {
    root = join(await mkdtemp(join(tmpdir(), 'tokenkeep-spool-')), 'refresh-spool');
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((spool) => spool.close()));
    await rm(join(root, '..'), { recursive: true, force: true });
  });

  it('a later process adopts what an earlier one wrote and did not release', async () => {
    const earlier = spoolIn(root);
    await earlier.write({ baseVersion: 7, refreshed: refreshedRow('a') });
    await earlier.release(await earlier.write({ baseVersion: 7, refreshed: refreshedRow('b') }));
    await earlier.close();

    const later = spoolIn(root);
    const { entries, unreadable } = await later.adoptOrphans();
    expect(unreadable).toEqual([]);
    expect(entries.map((entry) => [entry.baseVersion, entry.refreshed.id])).toEqual([[7, 'a']]);
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
    // now held by the later process alone
    expect(await readdir(root)).toEqual([basename(later.directory)]);
    await later.close();
    expect((await spoolIn(root).adoptOrphans()).entries.map((entry) => entry.refreshed.id)).toEqual(
      ['a'],
    );
  });

  it('leaves alone the folder of a process that still runs', async () => {
    const other = spoolIn(root);
    await other.write({ baseVersion: 1, refreshed: refreshedRow('live') });
    await other.close();
    const alive = join(root, `${process.ppid}-0a0b0c0d`);
    await rename(other.directory, alive);

    expect((await spoolIn(root).adoptOrphans()).entries).toEqual([]);
    expect(await readdir(alive)).toContain('slot-0.spool');
  });

  it('removes its folder on close when it holds nothing', async () => {
    const spool = spoolIn(root);
    await spool.release(await spool.write({ baseVersion: 1, refreshed: refreshedRow('done') }));
    await spool.close();
    expect(await readdir(root)).toEqual([]);
  });

  it('keeps its folders and files private, and makes more slots when all are taken', async () => {
    const spool = spoolIn(root);
    const slots = new Set<string>();
    for (let index = 0; index < 20; index++) {
      slots.add(await spool.write({ baseVersion: 1, refreshed: refreshedRow(`r${index}`) }));
    }
    expect(slots.size).toBe(20);
    for (const folder of [root, spool.directory]) {
      expect((await stat(folder)).mode & 0o777).toBe(0o700);
    }
    for (const name of await readdir(spool.directory)) {
      expect((await stat(join(spool.directory, name))).mode & 0o777).toBe(0o600);
    }
  });

  it('names a record torn by a crash as unreadable and replays nothing from it', async () => {
    const earlier = spoolIn(root);
    const slot = await earlier.write({ baseVersion: 1, refreshed: refreshedRow('torn') });
    await earlier.close();
    const file = await open(join(earlier.directory, slot), 'r+');
    await file.write(Buffer.from('garbage'), 0, 7, 60);
    await file.close();

    const { entries, unreadable } = await spoolIn(root).adoptOrphans();
    expect(entries).toEqual([]);
    expect(unreadable).toEqual([join(earlier.directory, slot)]);
  });
});
