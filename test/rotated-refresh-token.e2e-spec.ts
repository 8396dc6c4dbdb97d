import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { startAppProcess, type AppProcess } from './support/app-process.js';
import { TestBrowser } from './support/browser.js';
import { diagnostic } from './support/diagnostic.js';
import { emulatorStats, injectFault, startTestEmulator } from './support/emulator-admin.js';
import { graphql, PROFILE } from './support/graphql.js';
import { answerConsent, parseConsentPage, signIn } from './support/sign-in.js';
import { storedTokens } from './support/stored-tokens.js';
import {
  databaseBehindProxy,
  withAppBehindDatabaseProxy,
  type TcpProxy,
} from './support/tcp-proxy.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { expireStoredTokens, type TestDatabase } from './support/test-database.js';
import { until } from './support/until.js';
import { PUBLIC_URL } from './support/balancer-sign-in.js';

/**
 * With refresh-token rotation on, Google's answer to a refresh holds the only live refresh token:
 * the one stored is refused from then on. These tests take the database away, or kill the
 * process, right after Google has answered, and check the grant survives.
 */

const ADA = '104892461539281739254';
const FORCED_REFRESH = 'mutation { refreshToken { state refreshCount } }';
/** Google's answer is held this long, so a test can act while the refresh is in flight. */
const TOKEN_LATENCY_MS = 400;

interface TokenRow {
  version: number;
  state: string;
  refresh_count: number;
  refresh_lease_owner: string | null;
  lease_expired: boolean;
}

async function tokenRow(database: TestDatabase): Promise<TokenRow> {
  const [row] = await database.query<TokenRow>(
    'SELECT version, state, refresh_count, refresh_lease_owner, refresh_lease_expires_at < now() AS lease_expired FROM oauth_tokens',
  );
  return row;
}

async function refreshGrants(emulatorUrl: string): Promise<number> {
  return (await emulatorStats(emulatorUrl)).tokenGrants.refresh_token;
}

/** Waits until an instance holds the refresh lease: it is now waiting for Google's answer. */
function leaseTaken(database: TestDatabase): Promise<TokenRow> {
  return until('the refresh lease being taken', async () => {
    const row = await tokenRow(database);
    return row.refresh_lease_owner !== null ? row : undefined;
  });
}

/** Waits until Google (the emulator) has answered `count` refresh grants in all. */
function googleAnswered(emulatorUrl: string, count: number): Promise<number> {
  return until(`refresh grant ${count} at the emulator`, async () => {
    const grants = await refreshGrants(emulatorUrl);
    return grants >= count ? grants : undefined;
  });
}

function stored(database: TestDatabase, version: number): Promise<TokenRow> {
  return until(`version ${version} of the token row being stored`, async () => {
    const row = await tokenRow(database);
    return row.version >= version ? row : undefined;
  });
}

/** The spool slots under DATA_DIR that hold a record (see RefreshSpool: a folder per process). */
async function spooled(dataDir: string): Promise<string[]> {
  const root = join(dataDir, 'refresh-spool');
  const holding: string[] = [];
  for (const folder of await readdir(root).catch(() => [])) {
    for (const name of await readdir(join(root, folder)).catch(() => [])) {
      const head = (await readFile(join(root, folder, name))).subarray(0, 8).toString('latin1');
      if (head === 'TKSPOOL1') holding.push(join(folder, name));
    }
  }
  return holding;
}

describe('the database unreachable for 2 s right after Google answered with a new refresh token', () => {
  const browser = new TestBrowser();
  const suite = withAppBehindDatabaseProxy(browser);

  it('stores the new refresh token once the database is back, and the grant keeps working', async () => {
    const { app, proxy, database } = suite;
    const before = await storedTokens(database, ADA);
    const rowBefore = await tokenRow(database);
    const grantsBefore = await refreshGrants(app.emulatorUrl);
    await injectFault(app.emulatorUrl, { endpoint: 'token', rotateRefreshTokens: true });
    await injectFault(app.emulatorUrl, { endpoint: 'token', latencyMs: TOKEN_LATENCY_MS });

    const forced = graphql<{ refreshToken: { state: string; refreshCount: number } }>(
      browser,
      app.url,
      FORCED_REFRESH,
    );
    await leaseTaken(database);
    await proxy.cut();
    await googleAnswered(app.emulatorUrl, grantsBefore + 1);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the outage being simulated
    await proxy.restore();

    const answer = await forced;
    expect(answer.errors).toBe(undefined);
    expect(answer.data?.refreshToken).toEqual({
      state: 'ACTIVE',
      refreshCount: rowBefore.refresh_count + 1,
    });
    const row = await stored(database, before.row.version + 1);
    expect(row.state).toBe('ACTIVE');
    const after = await storedTokens(database, ADA);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(await spooled(app.config.dataDir)).toEqual([]);

    // The next refresh uses the rotated token, which Google accepts.
    await expireStoredTokens(database);
    const profile = await graphql<{ profile: { sub: string } }>(browser, app.url, PROFILE);
    expect(profile.errors).toBe(undefined);
    expect(profile.data?.profile.sub).toBe(ADA);
    expect(await refreshGrants(app.emulatorUrl)).toBe(grantsBefore + 2);
    expect(
      await database.query("SELECT type FROM token_events WHERE type = 'REAUTH_REQUIRED'"),
    ).toEqual([]);

    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    const sum = Number(/^tokenkeep_refresh_spool_seconds_sum (\S+)$/m.exec(metrics)?.[1]);
    const count = Number(/^tokenkeep_refresh_spool_seconds_count (\S+)$/m.exec(metrics)?.[1]);
    expect(count).toBe(2);
    diagnostic(
      `Google's answer to the durable spool write: ${Math.round((sum / count) * 1e6)} µs on average over ${count} rotated refreshes`,
    );
  });
});

describe('SIGKILL between Google answering with a new refresh token and the database write', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let proxiedUrl: string;
  let emulator: StandaloneEmulator;
  let dataDir: string;
  const running: AppProcess[] = [];
  const browser = new TestBrowser();

  function startInstance(): Promise<AppProcess> {
    return startAppProcess({
      databaseUrl: proxiedUrl,
      emulatorUrl: emulator.url,
      publicUrl: PUBLIC_URL,
      dataDir,
    }).then((app) => {
      running.push(app);
      return app;
    });
  }

  beforeAll(async () => {
    ({ database, proxy, proxiedUrl } = await databaseBehindProxy());
    emulator = await startTestEmulator(3600);
    dataDir = await mkdtemp(join(tmpdir(), 'tokenkeep-spool-'));
  });

  afterAll(async () => {
    await Promise.allSettled(running.map((app) => app.stop()));
    await emulator?.close();
    await proxy?.stop();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a restart on the same DATA_DIR stores the new refresh token before serving, and the grant keeps working', async () => {
    const first = await startInstance();
    const consent = parseConsentPage(
      await browser.get((await browser.get(`${first.url}/auth/google`)).location ?? ''),
    );
    const callbackUrl = await answerConsent(browser, consent, 'allow', ADA);
    expect((await browser.get(callbackUrl.replace(PUBLIC_URL, first.url))).status).toBe(303);

    const before = await storedTokens(database, ADA);
    const grantsBefore = await refreshGrants(emulator.url);
    await injectFault(emulator.url, { endpoint: 'token', rotateRefreshTokens: true });
    await injectFault(emulator.url, { endpoint: 'token', latencyMs: TOKEN_LATENCY_MS });

    const forced = graphql(browser, first.url, FORCED_REFRESH);
    await leaseTaken(database);
    await proxy.cut();
    await googleAnswered(emulator.url, grantsBefore + 1);
    // Google has answered and the database cannot take it: the token exists only in the process
    // (and, once durable, in its spool). Kill it there.
    await until('the new grant being spooled', async () =>
      (await spooled(dataDir)).length > 0 ? true : undefined,
    );
    const exit = await first.kill('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    await forced.catch(() => undefined);
    await proxy.restore();
    // the old refresh token is dead at Google
    expect((await tokenRow(database)).version).toBe(before.row.version);

    const second = await startInstance();
    const row = await tokenRow(database);
    expect(row.version).toBeGreaterThan(before.row.version);
    expect(row.state).toBe('ACTIVE');
    expect((await storedTokens(database, ADA)).refreshToken).not.toBe(before.refreshToken);
    expect(await spooled(dataDir)).toEqual([]);

    await expireStoredTokens(database);
    const profile = await graphql<{ profile: { sub: string } }>(browser, second.url, PROFILE);
    expect(profile.errors).toBe(undefined);
    expect(profile.data?.profile.sub).toBe(ADA);
    expect(await refreshGrants(emulator.url)).toBe(grantsBefore + 2);
    expect(
      await database.query("SELECT type FROM token_events WHERE type = 'REAUTH_REQUIRED'"),
    ).toEqual([]);
  });
});

describe('another instance refreshing with the replaced refresh token while the new one is unsaved', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let emulator: StandaloneEmulator;
  let holder: TestApp;
  let other: TestApp;
  const browser = new TestBrowser();
  const leases = {
    REFRESH_LEASE_SECONDS: '2',
    REFRESH_DEADLINE_SECONDS: '1',
    REFRESH_FAILURE_COOLDOWN_SECONDS: '0',
  };

  beforeAll(async () => {
    const setup = await databaseBehindProxy();
    ({ database, proxy } = setup);
    emulator = await startTestEmulator(3600);
    holder = await startTestApp(
      { ...database, url: setup.proxiedUrl },
      { GOOGLE_EMULATOR_URL: emulator.url, ...leases },
    );
    other = await startTestApp(database, { GOOGLE_EMULATOR_URL: emulator.url, ...leases });
    await signIn(browser, holder.url);
  });

  afterAll(async () => {
    await holder?.stop();
    await other?.stop();
    await emulator?.close();
    await proxy?.stop();
    await database?.drop();
  });

  it('the holder answers from memory, the other is refused by Google, and the holder’s write restores the grant', async () => {
    const before = await tokenRow(database);
    const grantsBefore = await refreshGrants(emulator.url);
    await injectFault(emulator.url, { endpoint: 'token', rotateRefreshTokens: true });
    await injectFault(emulator.url, { endpoint: 'token', latencyMs: TOKEN_LATENCY_MS });
    await expireStoredTokens(database);

    const forced = graphql<{ refreshToken: { state: string } }>(
      browser,
      holder.url,
      FORCED_REFRESH,
    );
    await leaseTaken(database);
    await proxy.cut();
    await googleAnswered(emulator.url, grantsBefore + 1);
    // The holder's lease ends with its token unsaved: it answers with the token it holds.
    const answer = await forced;
    expect(answer.errors).toBe(undefined);
    expect(answer.data?.refreshToken.state).toBe('ACTIVE');
    await until('the holder’s lease expiring', async () =>
      (await tokenRow(database)).lease_expired ? true : undefined,
    );

    // The other instance takes the abandoned lease and uses the stored, replaced refresh token.
    const first = await graphql(browser, other.url, PROFILE);
    expect(first.errors?.[0].extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect((await tokenRow(database)).state).toBe('ACTIVE');
    // A second refusal, not after a takeover, marks the grant dead...
    const second = await graphql(browser, other.url, PROFILE);
    expect(second.errors?.[0].extensions?.code).toBe('REAUTH_REQUIRED');

    // ...until the holder reaches the database and writes the grant it holds over that mark.
    await proxy.restore();
    const row = await until('the holder’s grant being stored', async () => {
      const current = await tokenRow(database);
      return current.state === 'ACTIVE' && current.version > before.version + 1
        ? current
        : undefined;
    });
    expect(row.refresh_count).toBe(before.refresh_count + 1);
    const profile = await graphql<{ profile: { sub: string } }>(browser, other.url, PROFILE);
    expect(profile.errors).toBe(undefined);
    expect(profile.data?.profile.sub).toBe(ADA);

    await expireStoredTokens(database);
    const grants = await refreshGrants(emulator.url);
    const afterRefresh = await graphql<{ profile: { sub: string } }>(browser, other.url, PROFILE);
    expect(afterRefresh.errors).toBe(undefined);
    expect(await refreshGrants(emulator.url)).toBe(grants + 1);
    expect((await tokenRow(database)).state).toBe('ACTIVE');
  });
});
