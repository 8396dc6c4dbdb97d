import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { rotateKeys } from '../src/tokens/key-rotation.js';
import { TestBrowser } from './support/browser.js';
import { startTestEmulator } from './support/emulator-admin.js';
import { graphql, PROFILE } from './support/graphql.js';
import { signIn } from './support/sign-in.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const ALAN = '117350929174625391823';

describe('encryption keys', () => {
  let database: TestDatabase;
  // A standalone emulator outlives the app restarts, so the grants stay live throughout.
  let emulator: StandaloneEmulator;
  let app: TestApp | undefined;
  const ada = new TestBrowser();
  const alan = new TestBrowser();
  const tokenRows = () =>
    database.query<{ key_id: string; access_token_ciphertext: string }>(
      'SELECT key_id, access_token_ciphertext FROM oauth_tokens ORDER BY id',
    );
  const restart = async (keys: string) => {
    await app?.stop();
    app = undefined;
    app = await startTestApp(database, {
      TOKEN_ENCRYPTION_KEYS: keys,
      GOOGLE_EMULATOR_URL: emulator.url,
      // Every forced refresh must reach Google while the keys rotate.
      FORCED_REFRESH_MIN_INTERVAL_SECONDS: '0',
    });
    return app;
  };

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    emulator = await startTestEmulator(3600);
    const first = await restart(`a:${keyA}`);
    await signIn(ada, first.url);
    await signIn(alan, first.url, ALAN);
    await first.stop();
    app = undefined;
  });

  afterAll(async () => {
    await app?.stop();
    await emulator?.close();
    await database?.drop();
  });

  it('refuses to start without the key the tokens were written with, and writes nothing', async () => {
    const before = await tokenRows();
    await expect(restart(`b:${keyB}`)).rejects.toThrow(
      /encrypted with key "a", which TOKEN_ENCRYPTION_KEYS does not contain/,
    );
    await expect(restart(`a:${keyB}`)).rejects.toThrow(/Key "a" .* does not decrypt .* wrong key/);
    expect(await tokenRows()).toEqual(before);
  });

  it('rotates every token to the new key while refreshes keep succeeding', async () => {
    const running = await restart(`b:${keyB},a:${keyA}`);
    expect(new Set((await tokenRows()).map((row) => row.key_id))).toEqual(new Set(['a']));

    const refreshCounts = async () =>
      (
        await database.query<{ refresh_count: number }>('SELECT refresh_count FROM oauth_tokens')
      ).reduce((sum, row) => sum + Number(row.refresh_count), 0);
    const countsBefore = await refreshCounts();
    let stop = false;
    const failures: unknown[] = [];
    let served = 0;
    const traffic = Promise.all(
      [ada, alan].map(async (browser) => {
        while (!stop) {
          const answer = await graphql(browser, running.url, 'mutation { refreshToken { state } }');
          if (answer.errors) failures.push(answer.errors);
          else served += 1;
        }
      }),
    );
    // Rotate while refreshes are flowing, and let a few more land after.
    while (served < 4 && failures.length === 0)
      await new Promise((resolve) => setImmediate(resolve));
    const result = await rotateKeys(running.config);
    const servedAtRotationEnd = served;
    while (served < servedAtRotationEnd + 4 && failures.length === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    stop = true;
    await traffic;

    // every answered refresh was a real one
    expect(await refreshCounts()).toBe(countsBefore + served);
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(0);
    // rows a refresh rewrote first were already under key b
    expect(result.tokensRewritten).toBeLessThanOrEqual(2);
    expect((await tokenRows()).map((row) => row.key_id)).toEqual(['b', 'b']);
  });

  it('then starts and serves with the new key alone', async () => {
    const running = await restart(`b:${keyB}`);
    const { data, errors } = await graphql<{ profile: { email: string } }>(
      ada,
      running.url,
      PROFILE,
    );
    expect(errors).toBe(undefined);
    expect(data?.profile.email).toBe('ada@example.com');
  });
});
