import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, type RunningApp } from '../src/app.factory.js';
import { loadConfig } from '../src/config/app-config.js';
import { signIn } from './support/sign-in.js';
import { TestBrowser } from './support/browser.js';
import { freePort } from './support/test-app.js';

/** The permission bits of a path, as ls shows them in octal. */
function modeOf(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

describe('files under DATA_DIR on a first start', () => {
  let parent: string;
  let dataDir: string;
  let app: RunningApp;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'tokenkeep-modes-'));
    dataDir = join(parent, 'data');
    const port = await freePort();
    // no keys and no DATABASE_URL: development secrets and the SQLite file are made under DATA_DIR
    app = await startApp(
      loadConfig({
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        PROACTIVE_REFRESH: 'off',
      }),
    );
    // a sign-in writes, so SQLite has made its -wal and -shm files
    await signIn(new TestBrowser(), app.url);
  });

  afterAll(async () => {
    await app?.close();
    await rm(parent, { recursive: true, force: true });
  });

  it('the folder is 0700 and every file in it 0600 (under the usual umask 022)', () => {
    expect(modeOf(dataDir)).toBe('700');
    for (const file of [
      'tokenkeep.sqlite',
      'tokenkeep.sqlite-wal',
      'tokenkeep.sqlite-shm',
      'development-secrets.json',
    ]) {
      expect([file, modeOf(join(dataDir, file))]).toEqual([file, '600']);
    }
  });
});
