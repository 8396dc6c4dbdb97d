import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { startAppProcess, type AppProcess } from './support/app-process.js';
import { TestBrowser } from './support/browser.js';
import { diagnostic } from './support/diagnostic.js';
import { startTestEmulator } from './support/emulator-admin.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const PUBLIC_URL = 'http://database-file.test';
const AS_A_BROWSER = { accept: 'text/html' };

interface Readiness {
  status: number;
  body: { status: string; error?: Record<string, { status: string; message?: string }> };
}

async function readiness(appUrl: string): Promise<Readiness> {
  const response = await fetch(`${appUrl}/health/ready`, { signal: AbortSignal.timeout(3000) });
  return { status: response.status, body: (await response.json()) as Readiness['body'] };
}

/** How this machine can make a file unwritable for the app: chmod for a normal user; root needs chattr +i. */
function unwritableWays(): { lock(path: string): void; unlock(path: string): void } | undefined {
  const chattr = (flag: string, path: string) => execFileSync('chattr', [flag, path]);
  if (process.getuid?.() !== 0) {
    return {
      lock: (path) => execFileSync('chmod', ['0444', path]),
      unlock: (path) => execFileSync('chmod', ['0600', path]),
    };
  }
  const probe = join(mkdtempSync(join(tmpdir(), 'tokenkeep-chattr-')), 'probe');
  writeFileSync(probe, '');
  try {
    chattr('+i', probe);
    chattr('-i', probe);
    return { lock: (path) => chattr('+i', path), unlock: (path) => chattr('-i', path) };
  } catch {
    return undefined;
  } finally {
    rmSync(probe, { force: true });
  }
}
const unwritable = unwritableWays();

describe('readiness when the SQLite file changes under the running app', () => {
  let emulator: StandaloneEmulator;
  let database: TestDatabase;
  let app: AppProcess | undefined;
  let databasePath: string;

  beforeAll(async () => {
    emulator = await startTestEmulator(3600);
  });

  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await database?.drop();
  });

  afterAll(async () => {
    await emulator?.close();
  });

  async function start(): Promise<AppProcess> {
    database = await createTestDatabase('sqlite');
    databasePath = database.url.slice('sqlite:'.length);
    app = await startAppProcess({
      databaseUrl: database.url,
      emulatorUrl: emulator.url,
      publicUrl: PUBLIC_URL,
    });
    expect((await readiness(app.url)).status).toBe(200);
    return app;
  }

  it.each([
    ['deleted', () => unlinkSync(databasePath)],
    [
      'replaced by a copy',
      () => {
        copyFileSync(databasePath, `${databasePath}.copy`);
        renameSync(`${databasePath}.copy`, databasePath);
      },
    ],
  ])(
    'a database file %s: not ready, every page but health refused, and the log says why and how to recover',
    async (_change, change) => {
      const running = await start();
      change();

      const ready = await readiness(running.url);
      expect(ready.status).toBe(503);
      expect(ready.body.error?.['database-file']).toEqual({
        status: 'down',
        message: `the database file ${databasePath} was deleted or replaced while the app was running; restart the app once it is back`,
      });
      const home = await new TestBrowser().get(`${running.url}/`, AS_A_BROWSER);
      expect(home.status).toBe(503);
      expect(home.body).toContain('The database file was deleted or replaced');
      const output = running.output();
      expect(output).toContain(`the database file ${databasePath} was deleted or replaced`);
      expect(output).toMatch(/still open in this process \(pid \d+\) as \/proc\/\d+\/fd\/\d+/);
      // still refused, also on the next probe
      expect((await readiness(running.url)).status).toBe(503);
    },
  );

  (unwritable ? it : it.skip)(
    'a database file that cannot be written: not ready, saying so, and ready again once it can',
    async () => {
      const running = await start();
      unwritable!.lock(databasePath);
      try {
        const ready = await readiness(running.url);
        expect(ready.status).toBe(503);
        expect(ready.body.error?.['database-file']).toEqual({
          status: 'down',
          message: `the database file ${databasePath} is not writable`,
        });
      } finally {
        unwritable!.unlock(databasePath);
      }
      expect((await readiness(running.url)).status).toBe(200);
    },
  );

  if (!unwritable) diagnostic('this machine cannot make a file unwritable for root: skipped');
});
