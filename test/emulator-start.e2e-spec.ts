import { createServer } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { startStandaloneEmulator, type StandaloneEmulator } from '@tokenkeep/google-emulator';
import { startAppProcess, type AppProcess } from './support/app-process.js';
import { signInBehindBalancer } from './support/balancer-sign-in.js';
import { TestBrowser } from './support/browser.js';
import { spawnEmulatorProcess, type EmulatorProcess } from './support/emulator-process.js';
import { graphqlData } from './support/graphql.js';
import { freePort } from './support/test-app.js';
import { diagnostic } from './support/diagnostic.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const PUBLIC_URL = 'http://late-emulator.test';
/** Parallel request loops that hit the emulator's port from the moment it is spawned. */
const POLLERS = 16;

describe('the standalone emulator starting while requests arrive', () => {
  let emulator: EmulatorProcess | undefined;

  afterEach(async () => {
    await emulator?.stop();
  });

  it('survives requests that arrive while it starts, and answers them', async () => {
    const port = await freePort();
    const discovery = `http://127.0.0.1:${port}/.well-known/openid-configuration`;
    emulator = spawnEmulatorProcess(port);
    const started = emulator.untilOutput('Google emulator listening');
    let starting = true;
    void started.finally(() => (starting = false)).catch(() => undefined);
    const statuses: number[] = [];
    const poll = async () => {
      while (starting) {
        try {
          const response = await fetch(discovery, { signal: AbortSignal.timeout(5000) });
          await response.arrayBuffer();
          statuses.push(response.status);
        } catch {
          // not listening yet (or the process died: checked below)
        }
      }
    };
    await Promise.all([started, ...Array.from({ length: POLLERS }, poll)]);

    const answer = await fetch(discovery);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { issuer: string }).issuer).toBe(`http://127.0.0.1:${port}`);
    // requests did reach it while it started, and each got a good answer
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    diagnostic(`${statuses.length} requests answered while the emulator started`);
    expect(emulator.output()).not.toMatch(/TypeError|Error:/);
  });
});

describe('an app started before its standalone emulator listens', () => {
  let database: TestDatabase;
  let app: AppProcess | undefined;
  let emulator: StandaloneEmulator | undefined;

  afterAll(async () => {
    await app?.stop();
    await emulator?.close();
    await database?.drop();
  });

  it('waits for the emulator, registers with it and comes up', async () => {
    database = await createTestDatabase('sqlite');
    const port = await freePort();
    const emulatorUrl = `http://127.0.0.1:${port}`;
    // until the app first knocks, the port resets connections (an emulator still coming up) ...
    const firstKnock = resetConnectionsUntilFirstOne(port);
    const appStarting = startAppProcess({
      databaseUrl: database.url,
      emulatorUrl,
      publicUrl: PUBLIC_URL,
      env: { LOG_LEVEL: 'info' },
    });
    await firstKnock;
    // ... then refuses them for 1.5 s, then the emulator listens: the scenario itself, not a wait
    await new Promise((resolve) => setTimeout(resolve, 1500));
    emulator = await startStandaloneEmulator({
      host: '127.0.0.1',
      port,
      publicUrl: emulatorUrl,
      accessTokenTtlSeconds: 3600,
    });

    app = await appStarting;
    expect(app.output()).toContain(`Waiting for the Google emulator at ${emulatorUrl}`);
    // registered: a sign-in through the emulator works
    const browser = new TestBrowser();
    await signInBehindBalancer(browser, app.url, PUBLIC_URL);
    const { me } = await graphqlData<{ me: { email: string } }>(
      browser,
      app.url,
      '{ me { email } }',
    );
    expect(me.email).toBe('ada@example.com');
  });
});

/** Listens on `port`, resets the first connection, stops listening, and resolves. */
function resetConnectionsUntilFirstOne(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.resetAndDestroy();
      server.close(() => resolve());
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1');
  });
}
