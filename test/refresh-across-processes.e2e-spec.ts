import assert from 'node:assert/strict';
import { syncBuiltinESMExports } from 'node:module';
import os, { hostname } from 'node:os';
import { after, before, describe, it, type TestContext } from 'node:test';
import { parseKeyring } from '../src/config/keyring.js';
import type { StandaloneEmulator } from '../src/google-emulator/standalone.js';
import { TokenCipher } from '../src/tokens/token-cipher.js';
import { associatedData } from '../src/tokens/token-store.service.js';
import { startAppProcess, type AppProcess } from './support/app-process.js';
import { TestBrowser } from './support/browser.js';
import { startTestEmulator, emulatorStats, type EmulatorStats } from './support/emulator-admin.js';
import { graphql, graphqlData, REFRESH_TOKEN, TOKEN_STATUS } from './support/graphql.js';
import { answerConsent, parseConsentPage, signIn } from './support/sign-in.js';
import { startTestApp, TEST_KEYRING, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/** The address a load balancer would serve every instance on; the test plays the balancer. */
const PUBLIC_URL = 'http://tokenkeep.test';
const ADA = '104892461539281739254';
const PROFILE_SUB = '{ profile { sub } }';
const STORM = 300;
/**
 * Google's answer to each refresh is held this long during the storms, so the refresh is still in
 * flight when every request of the storm has reached its instance: the instances really compete.
 */
const REFRESH_LATENCY_MS = 500;
/** Every process of the first suite: the lease outlives the refresh deadline, as it must. */
const LEASE_SECONDS = 3;
const DEADLINE_SECONDS = 2;
/** How long a caller may wait for another instance's refresh (TokenRefresher.maxWaitMs). */
const DOCUMENTED_WAIT_MS = (LEASE_SECONDS + DEADLINE_SECONDS + 1) * 1000;

const cipher = new TokenCipher(parseKeyring(TEST_KEYRING));

interface TokenRow {
  id: string;
  version: number;
  state: string;
  refresh_count: number;
  access_token_ciphertext: string;
  refresh_token_ciphertext: string | null;
  expires_at: Date | null;
  refresh_lease_owner: string | null;
  refresh_lease_expires_at: Date | null;
  refresh_cooldown_until: Date | null;
  last_error_code: string | null;
}

interface Answer {
  status: number;
  data: { profile?: { sub: string } } | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  /** Date.now() when the answer (or the failure) arrived. */
  at: number;
}

interface FaultSpec {
  endpoint: 'token';
  latencyMs?: number;
  status?: 429 | 500 | 502 | 503 | 403;
  count?: number;
  timeout?: boolean;
  error?: 'invalid_grant' | 'invalid_client';
  rotateRefreshTokens?: boolean;
}

/** The admin API of the standalone emulator: faults and counters. */
function emulatorAdmin(emulatorUrl: string) {
  const send = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${emulatorUrl}/__emulator/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} /__emulator/${path}: ${response.status} ${text}`);
  };
  return {
    addFault: (spec: FaultSpec) => send('POST', 'faults', spec),
    clearFaults: () => send('DELETE', 'faults'),
    resetStats: () => send('DELETE', 'stats'),
    addUser: (sub: string, name: string) =>
      send('POST', 'users', { sub, name, email: `${name.toLowerCase()}@example.com` }),
    /** A clean start for a test: no faults armed, every counter at zero. */
    reset: async () => {
      await send('DELETE', 'faults');
      await send('DELETE', 'stats');
    },
  };
}

/** Token calls the emulator answered or refused, however they ended. */
function tokenCalls(stats: EmulatorStats): number {
  const injected = ['503', 'timeout'].reduce((sum, key) => sum + (stats.errors[key] ?? 0), 0);
  return stats.tokenGrants.refresh_token + injected;
}

async function tokenRow(database: TestDatabase, sub: string): Promise<TokenRow> {
  const [row] = await database.query<TokenRow>(
    'SELECT t.* FROM oauth_tokens t JOIN users u ON u.id = t.user_id WHERE u.google_sub = $1',
    [sub],
  );
  assert.ok(row, `a token row for ${sub}`);
  return row;
}

function refreshTokenOf(row: TokenRow): string {
  assert.ok(row.refresh_token_ciphertext, 'a refresh token is stored');
  return cipher.decrypt(row.refresh_token_ciphertext, associatedData(row.id, 'refresh_token'));
}

/** Our app now believes the token expired a second ago; Google (the emulator) still honours it. */
async function expireToken(database: TestDatabase, sub: string): Promise<void> {
  await database.query(
    `UPDATE oauth_tokens SET expires_at = now() - interval '1 second'
     WHERE user_id = (SELECT id FROM users WHERE google_sub = $1)`,
    [sub],
  );
}

async function eventsOf(database: TestDatabase, sub: string, type: string) {
  return database.query<{ code: string | null; detail: string | null }>(
    `SELECT e.code, e.detail FROM token_events e JOIN users u ON u.id = e.user_id
     WHERE u.google_sub = $1 AND e.type = $2 ORDER BY e.id`,
    [sub, type],
  );
}

/** One GraphQL request with a bearer session, over plain fetch; never throws (status 0 when the connection failed). */
async function query(appUrl: string, bearer: string, operation: string): Promise<Answer> {
  try {
    const response = await fetch(`${appUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query: operation }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    try {
      const body = JSON.parse(text) as Omit<Answer, 'status' | 'at'>;
      return {
        status: response.status,
        data: body.data ?? null,
        errors: body.errors,
        at: Date.now(),
      };
    } catch {
      return { status: response.status, data: null, errors: [{ message: text }], at: Date.now() };
    }
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? '';
    return {
      status: 0,
      data: null,
      errors: [{ message: `${(error as Error).message} ${cause}`.trim() }],
      at: Date.now(),
    };
  }
}

/** Asserts every answer is Ada's profile, naming how many failed and the first failure. */
function assertAllProfiles(answers: Answer[]): void {
  const failures = answers.filter(
    (answer) => answer.status !== 200 || answer.errors || answer.data?.profile?.sub !== ADA,
  );
  assert.equal(
    failures.length,
    0,
    `${failures.length} of ${answers.length} failed; first: ${JSON.stringify(failures[0])}`,
  );
}

/** `count` requests fired at once, round-robin over `urls`, each noting when it was sent and where. */
function storm(
  urls: string[],
  bearer: string,
  count = STORM,
  operation = PROFILE_SUB,
): Promise<(Answer & { url: string; sentAt: number })[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const url = urls[index % urls.length];
      const sentAt = Date.now();
      return { ...(await query(url, bearer, operation)), url, sentAt };
    }),
  );
}

/** Polls `probe` until it returns a value, at most `withinMs`. */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  withinMs: number,
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) assert.fail(`${what} did not happen within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The pid inside a lease owner `${hostname}:${pid}:${random}` (the hostname may hold colons). */
function pidOfOwner(owner: string): number {
  const parts = owner.split(':');
  return Number(parts[parts.length - 2]);
}

describe('token refresh across app processes on one PostgreSQL and one standalone emulator', () => {
  let database: TestDatabase;
  let emulator: StandaloneEmulator;
  let admin: ReturnType<typeof emulatorAdmin>;

  before(
    async () => {
      database = await createTestDatabase('postgres');
      emulator = await startTestEmulator(3600);
      admin = emulatorAdmin(emulator.url);
    },
    { timeout: 30_000 },
  );

  after(
    async () => {
      await emulator?.close();
      await database?.drop();
    },
    { timeout: 30_000 },
  );

  describe(`three processes (lease ${LEASE_SECONDS} s, deadline ${DEADLINE_SECONDS} s)`, () => {
    const processes: AppProcess[] = [];
    let bearer: string;
    const urls = () => processes.map((app) => app.url);

    /**
     * Expires Ada's token and fires the storm at the three instances (the caller arms the faults,
     * REFRESH_LATENCY_MS among them). Checks every request got Ada's profile, and that the storm
     * was a real contest: each instance other than the lease holder had requests in flight before
     * the holder wrote the new token, so they could only be answered by waiting on another
     * process's refresh.
     */
    async function contendedStorm(t: TestContext, label: string): Promise<void> {
      // Open the sockets first (no Google call), so the storm reaches the instances at once.
      const warmUp = await storm(urls(), bearer, STORM, '{ me { id } }');
      assert.ok(warmUp.every((answer) => answer.status === 200 && !answer.errors));
      const versionBefore = (await tokenRow(database, ADA)).version;
      await expireToken(database, ADA);
      await admin.resetStats();

      let holder: string | undefined;
      let lastUnrefreshedAt = 0;
      let stormOver = false;
      const watcher = (async () => {
        while (!stormOver) {
          const polledAt = Date.now();
          const row = await tokenRow(database, ADA);
          holder ??= row.refresh_lease_owner ?? undefined;
          if (row.version !== versionBefore) return;
          lastUnrefreshedAt = polledAt;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const startedAt = Date.now();
      const answers = await storm(urls(), bearer);
      const tookMs = Date.now() - startedAt;
      stormOver = true;
      await watcher;
      assertAllProfiles(answers);

      assert.ok(holder, 'the lease was seen held during the storm');
      const holderPid = pidOfOwner(holder);
      assert.ok(
        processes.some((app) => app.pid === holderPid),
        `holder ${holder} is ours`,
      );
      const waiting = processes.map(
        (app) =>
          answers.filter((answer) => answer.url === app.url && answer.sentAt < lastUnrefreshedAt)
            .length,
      );
      t.diagnostic(
        `${label}: ${STORM} requests answered in ${tookMs} ms; lease holder pid ${holderPid}; ` +
          `requests sent before the new token was written, per instance: ${waiting.join(', ')}`,
      );
      for (const [index, app] of processes.entries()) {
        if (app.pid === holderPid) continue;
        assert.ok(waiting[index] > 0, `instance ${app.pid} had requests waiting on the holder`);
      }
    }

    before(
      async () => {
        const sessionSecret = 'a-session-secret-shared-by-every-instance';
        const started = await Promise.allSettled(
          [0, 1, 2].map(() =>
            startAppProcess({
              databaseUrl: database.url,
              emulatorUrl: emulator.url,
              publicUrl: PUBLIC_URL,
              sessionSecret,
              env: {
                REFRESH_LEASE_SECONDS: String(LEASE_SECONDS),
                REFRESH_DEADLINE_SECONDS: String(DEADLINE_SECONDS),
              },
            }),
          ),
        );
        for (const result of started)
          if (result.status === 'fulfilled') processes.push(result.value);
        for (const result of started) if (result.status === 'rejected') throw result.reason;
        assert.equal(new Set(processes.map((app) => app.pid)).size, 3);

        // Ada signs in through the first instance; the balancer sends the callback to the second.
        const browser = new TestBrowser();
        const start = await browser.get(`${processes[0].url}/auth/google`);
        const consentUrl = start.location ?? '';
        assert.ok(consentUrl.startsWith(`${emulator.url}/o/oauth2/v2/auth?`), start.body);
        const consent = parseConsentPage(await browser.get(consentUrl));
        const callbackUrl = await answerConsent(browser, consent, 'allow', ADA);
        assert.ok(callbackUrl.startsWith(`${PUBLIC_URL}/auth/google/callback?`));
        const callback = await browser.get(callbackUrl.replace(PUBLIC_URL, processes[1].url));
        assert.equal(callback.status, 303, callback.body.slice(0, 300));
        // An API session made on the third, used as a bearer on every instance.
        const page = await browser.postForm(`${processes[2].url}/auth/api-token`, {});
        assert.equal(page.status, 201);
        const token = /<code id="api-token">([^<]+)<\/code>/.exec(page.body)?.[1];
        assert.ok(token, 'the API token page shows a token');
        bearer = token;
        assertAllProfiles(await storm(urls(), bearer, 3));
      },
      { timeout: 90_000 },
    );

    after(
      async () => {
        const exits = await Promise.allSettled(processes.map((app) => app.stop()));
        for (const [index, exit] of exits.entries()) {
          if (exit.status === 'rejected')
            console.error(`stopping ${processes[index].pid}`, exit.reason);
        }
        // Anything an instance logged at error level is worth seeing next to the results.
        for (const app of processes) {
          if (/\bERROR\b/.test(app.output()))
            console.error(`--- output of the app process ${app.pid} ---\n${app.output()}`);
        }
      },
      { timeout: 30_000 },
    );

    it(
      `${STORM} concurrent profile requests over the three, token expired: all answer, Google sees one refresh`,
      { timeout: 60_000 },
      async (t) => {
        await admin.reset();
        const before = await tokenRow(database, ADA);
        await admin.addFault({ endpoint: 'token', latencyMs: REFRESH_LATENCY_MS });
        try {
          await contendedStorm(t, 'storm');
        } finally {
          await admin.clearFaults();
        }

        const stats = await emulatorStats(emulator.url);
        assert.equal(stats.tokenGrants.refresh_token, 1, 'exactly one refresh grant');
        assert.deepEqual(stats.errors, {});
        assert.equal(stats.userinfo, STORM, 'one userinfo call per request, none refused');
        const after = await tokenRow(database, ADA);
        assert.equal(after.version, before.version + 1);
        assert.equal(after.refresh_count, before.refresh_count + 1);
        assert.equal(after.state, 'ACTIVE');
        assert.equal(after.refresh_lease_owner, null, 'the lease was given back');
        assert.ok(after.expires_at && after.expires_at.getTime() > Date.now() + 3000 * 1000);
      },
    );

    it(
      'with refresh-token rotation on: one refresh per storm, the rotated token is stored, never invalid_grant',
      { timeout: 90_000 },
      async (t) => {
        await admin.reset();
        await admin.addFault({ endpoint: 'token', rotateRefreshTokens: true });
        await admin.addFault({ endpoint: 'token', latencyMs: REFRESH_LATENCY_MS });
        try {
          let previous = await tokenRow(database, ADA);
          for (const round of [1, 2]) {
            await contendedStorm(t, `rotation, round ${round}`);

            const stats = await emulatorStats(emulator.url);
            assert.equal(stats.tokenGrants.refresh_token, 1, `round ${round}: one refresh grant`);
            assert.equal(stats.errors.invalid_grant ?? 0, 0, `round ${round}: no invalid_grant`);
            assert.deepEqual(stats.errors, {});
            const current = await tokenRow(database, ADA);
            assert.equal(current.state, 'ACTIVE');
            assert.equal(current.version, previous.version + 1);
            assert.notEqual(
              refreshTokenOf(current),
              refreshTokenOf(previous),
              `round ${round}: the rotated refresh token replaced the stored one`,
            );
            const [latest] = (await eventsOf(database, ADA, 'REFRESHED')).slice(-1);
            assert.equal(latest.detail, 'refresh token rotated');
            previous = current;
          }
        } finally {
          await admin.clearFaults();
        }
      },
    );

    it(
      'SIGKILL of the lease holder mid-refresh: the others take over after the lease, within the documented bound, with one refresh',
      { timeout: 60_000 },
      async (t) => {
        await admin.reset();
        const [victim, ...survivors] = processes;
        const before = await tokenRow(database, ADA);
        const refreshedBefore = (await eventsOf(database, ADA, 'REFRESHED')).length;
        await admin.addFault({ endpoint: 'token', latencyMs: 1500 });
        await expireToken(database, ADA);
        const atStart = await emulatorStats(emulator.url);

        // One request, to one instance: it takes the lease and calls Google, which takes 1.5 s.
        const victimAnswer = query(victim.url, bearer, PROFILE_SUB);
        const leased = await until(
          'the lease was taken',
          async () => {
            const row = await tokenRow(database, ADA);
            return row.refresh_lease_owner === null ? undefined : row;
          },
          5000,
        );
        const owner = leased.refresh_lease_owner!;
        const leaseExpiresAt = leased.refresh_lease_expires_at!.getTime();
        const ownerPid = pidOfOwner(owner);
        assert.equal(ownerPid, victim.pid, `the lease holder (${owner}) is the instance asked`);
        assert.ok(
          processes.some((app) => app.pid === ownerPid),
          'a process this test spawned',
        );
        // The victim dies well before its lease ends: any Google call it made (held 1.5 s by the
        // latency fault) is over before another instance may take the lease.
        assert.ok(
          leaseExpiresAt - Date.now() > 1500 + 500,
          `killing ${leaseExpiresAt - Date.now()} ms before the lease ends`,
        );

        // Some requests reach the survivors while the victim still holds the lease: they wait.
        const survivorUrls = survivors.map((app) => app.url);
        const waitingAnswers = storm(survivorUrls, bearer, 10);

        const exit = await victim.kill('SIGKILL');
        const killedAt = Date.now();
        assert.equal(exit.signal, 'SIGKILL');
        const lost = await victimAnswer;
        assert.equal(lost.status, 0, `the killed instance answered: ${JSON.stringify(lost)}`);
        const orphaned = await tokenRow(database, ADA);
        assert.equal(orphaned.refresh_lease_owner, owner, 'the dead holder still holds the lease');
        assert.equal(orphaned.version, before.version, 'and wrote nothing');
        await admin.clearFaults();

        // More arrive after the death. All must wait for the orphaned lease to expire; then one
        // survivor refreshes and every request is answered.
        const lateAnswers = storm(survivorUrls, bearer, 10);

        // Precise accounting. The killed holder's token call may or may not have left the process
        // before SIGKILL. If it did, the emulator still answers it (its client being gone does not
        // stop the handler) and counts it as a refresh grant: after its 1.5 s of latency if it got
        // there before the fault was cleared, at once otherwise; either way about 1.5 s after the
        // kill at the latest, long before the orphaned lease expires (checked above). The
        // survivors can only call Google after taking the lease over. So counters read while the
        // dead holder still owns the lease (counters first, then the lease, so no survivor call
        // can be in them), and as late as possible, hold the victim's call if there was one and
        // no survivor's: every grant counted after them is a survivor's.
        let beforeTakeover: EmulatorStats | undefined;
        let takenOverBy: string | null = null;
        await until(
          'a survivor took the lease over',
          async () => {
            const stats = await emulatorStats(emulator.url);
            const { refresh_lease_owner } = await tokenRow(database, ADA);
            if (refresh_lease_owner === owner) {
              beforeTakeover = stats;
              return undefined;
            }
            takenOverBy = refresh_lease_owner;
            return true;
          },
          DOCUMENTED_WAIT_MS + 2000,
          20,
        );

        const answers = [...(await waitingAnswers), ...(await lateAnswers)];
        const slowestMs = Math.max(...answers.map((answer) => answer.at - answer.sentAt));
        t.diagnostic(
          `lease ended ${leaseExpiresAt - killedAt} ms after the kill; the slowest survivor answer took ${slowestMs} ms`,
        );
        assertAllProfiles(answers);
        assert.ok(
          slowestMs < DOCUMENTED_WAIT_MS,
          `a survivor answer took ${slowestMs} ms, more than lease + deadline + 1 s`,
        );
        for (const answer of answers) {
          assert.ok(
            answer.at >= leaseExpiresAt,
            'no survivor answered before the orphaned lease expired',
          );
        }
        if (takenOverBy !== null) {
          const pid = pidOfOwner(takenOverBy);
          assert.ok(
            survivors.some((app) => app.pid === pid),
            `taken over by a survivor (${pid})`,
          );
        }

        assert.ok(beforeTakeover, 'the counters were read while the dead holder held the lease');
        const final = await emulatorStats(emulator.url);
        const victimGrants =
          beforeTakeover.tokenGrants.refresh_token - atStart.tokenGrants.refresh_token;
        t.diagnostic(`the killed holder's token call reached the emulator: ${victimGrants === 1}`);
        assert.ok(victimGrants === 0 || victimGrants === 1, `victim grants: ${victimGrants}`);
        assert.equal(
          final.tokenGrants.refresh_token - beforeTakeover.tokenGrants.refresh_token,
          1,
          'exactly one refresh grant after the kill, from the survivors',
        );
        assert.deepEqual(final.errors, {});

        const after = await tokenRow(database, ADA);
        assert.equal(after.version, before.version + 1, 'one new version');
        assert.equal(after.refresh_count, before.refresh_count + 1);
        assert.equal(after.state, 'ACTIVE');
        assert.equal(after.refresh_lease_owner, null, 'lease cleared');
        assert.equal(after.refresh_lease_expires_at, null, 'lease expiry cleared');
        assert.ok(after.expires_at && after.expires_at.getTime() > Date.now() + 3000 * 1000);
        assert.equal((await eventsOf(database, ADA, 'REFRESHED')).length, refreshedBefore + 1);
      },
    );
  });

  describe('refresh failures through one in-process instance', () => {
    let users = 0;

    /** An app on the shared database and emulator, stopped when the test ends however it ends. */
    async function appFor(t: TestContext, env: Record<string, string> = {}): Promise<TestApp> {
      const app = await startTestApp(database, { GOOGLE_EMULATOR_URL: emulator.url, ...env });
      t.after(() => app.stop());
      return app;
    }

    /** A new Google account of this test alone, signed in on `app`, with its token expired. */
    async function userWithExpiredToken(app: TestApp, name: string) {
      users += 1;
      const sub = `3000000000000000000${String(users).padStart(2, '0')}`;
      await admin.addUser(sub, name);
      const browser = new TestBrowser();
      const { callback } = await signIn(browser, app.url, sub);
      assert.equal(callback.status, 303, callback.body.slice(0, 300));
      await expireToken(database, sub);
      return { sub, browser };
    }

    async function errorCode(browser: TestBrowser, app: TestApp, operation: string) {
      const answer = await graphql(browser, app.url, operation);
      assert.ok(answer.errors?.length, `an error expected, got ${JSON.stringify(answer.data)}`);
      return answer.errors[0].extensions?.code;
    }

    it(
      'two 503s then success: the refresh retries and the profile answers',
      { timeout: 30_000 },
      async (t) => {
        const app = await appFor(t);
        await admin.reset();
        const { sub, browser } = await userWithExpiredToken(app, 'Retry');
        const before = await tokenRow(database, sub);
        await admin.resetStats();
        await admin.addFault({ endpoint: 'token', status: 503, count: 2 });

        const { profile } = await graphqlData<{ profile: { sub: string } }>(
          browser,
          app.url,
          PROFILE_SUB,
        );
        assert.equal(profile.sub, sub);
        const stats = await emulatorStats(emulator.url);
        assert.deepEqual(stats.errors, { '503': 2 });
        assert.equal(stats.tokenGrants.refresh_token, 1, 'the third call succeeded');
        assert.equal(tokenCalls(stats), 3);
        const after = await tokenRow(database, sub);
        assert.equal(after.version, before.version + 1);
        assert.equal(after.refresh_cooldown_until, null);
      },
    );

    it(
      'token calls that time out past the deadline: UPSTREAM_UNAVAILABLE quickly, tokens untouched, then recovery',
      { timeout: 30_000 },
      async (t) => {
        const app = await appFor(t, {
          REFRESH_DEADLINE_SECONDS: '1',
          REFRESH_LEASE_SECONDS: '3',
          GOOGLE_HTTP_TIMEOUT_MS: '500',
          REFRESH_FAILURE_COOLDOWN_SECONDS: '0',
        });
        await admin.reset();
        const { sub, browser } = await userWithExpiredToken(app, 'Timeout');
        const before = await tokenRow(database, sub);
        await admin.resetStats();
        await admin.addFault({ endpoint: 'token', timeout: true, count: 10 });

        const startedAt = Date.now();
        const code = await errorCode(browser, app, PROFILE_SUB);
        const elapsedMs = Date.now() - startedAt;
        t.diagnostic(`UPSTREAM_UNAVAILABLE after ${elapsedMs} ms`);
        assert.equal(code, 'UPSTREAM_UNAVAILABLE');
        assert.ok(elapsedMs < 3000, `answered in ${elapsedMs} ms`);
        const stats = await emulatorStats(emulator.url);
        assert.ok((stats.errors.timeout ?? 0) >= 1, 'Google was called and held');
        assert.equal(stats.tokenGrants.refresh_token, 0);

        const after = await tokenRow(database, sub);
        assert.equal(after.access_token_ciphertext, before.access_token_ciphertext);
        assert.equal(after.refresh_token_ciphertext, before.refresh_token_ciphertext);
        assert.equal(after.version, before.version);
        assert.equal(after.state, 'ACTIVE');
        assert.equal(after.refresh_lease_owner, null, 'the lease was given back');

        await admin.clearFaults();
        const { profile } = await graphqlData<{ profile: { sub: string } }>(
          browser,
          app.url,
          PROFILE_SUB,
        );
        assert.equal(profile.sub, sub);
        assert.equal((await emulatorStats(emulator.url)).tokenGrants.refresh_token, 1);
      },
    );

    it(
      'a stampede during an outage: one refresh (at most 4 attempts) for 20 callers, then none during the cooldown',
      { timeout: 30_000 },
      async (t) => {
        const app = await appFor(t, { REFRESH_FAILURE_COOLDOWN_SECONDS: '30' });
        await admin.reset();
        const { sub, browser } = await userWithExpiredToken(app, 'Stampede');
        await admin.resetStats();
        await admin.addFault({ endpoint: 'token', status: 503, count: 100 });
        try {
          const answers = await Promise.all(
            Array.from({ length: 20 }, () => graphql(browser, app.url, PROFILE_SUB)),
          );
          const codes = answers.map((answer) => answer.errors?.[0].extensions?.code);
          assert.deepEqual(new Set(codes), new Set(['UPSTREAM_UNAVAILABLE']));
          const afterStampede = await emulatorStats(emulator.url);
          t.diagnostic(`token calls for 20 callers: ${tokenCalls(afterStampede)}`);
          assert.ok(tokenCalls(afterStampede) >= 1, 'Google was tried');
          assert.ok(tokenCalls(afterStampede) <= 4, `${tokenCalls(afterStampede)} token calls`);
          assert.equal(afterStampede.tokenGrants.refresh_token, 0);
          const row = await tokenRow(database, sub);
          assert.ok(
            row.refresh_cooldown_until && row.refresh_cooldown_until.getTime() > Date.now(),
          );

          for (const operation of [PROFILE_SUB, REFRESH_TOKEN, PROFILE_SUB]) {
            assert.equal(await errorCode(browser, app, operation), 'UPSTREAM_UNAVAILABLE');
          }
          const again = await Promise.all(
            Array.from({ length: 20 }, () => graphql(browser, app.url, PROFILE_SUB)),
          );
          for (const answer of again)
            assert.equal(answer.errors?.[0].extensions?.code, 'UPSTREAM_UNAVAILABLE');
          assert.deepEqual(
            await emulatorStats(emulator.url),
            afterStampede,
            'no call to Google during the cooldown',
          );
          const { tokenStatus } = await graphqlData<{ tokenStatus: { state: string } }>(
            browser,
            app.url,
            TOKEN_STATUS,
          );
          assert.equal(tokenStatus.state, 'EXPIRED');
        } finally {
          await admin.clearFaults();
        }
      },
    );

    it(
      'invalid_grant: REAUTH_REQUIRED, and no further call to Google for that grant',
      { timeout: 30_000 },
      async (t) => {
        const app = await appFor(t);
        await admin.reset();
        const { sub, browser } = await userWithExpiredToken(app, 'Revoked');
        await admin.resetStats();
        await admin.addFault({ endpoint: 'token', error: 'invalid_grant' });

        assert.equal(await errorCode(browser, app, PROFILE_SUB), 'REAUTH_REQUIRED');
        const { tokenStatus } = await graphqlData<{ tokenStatus: { state: string } }>(
          browser,
          app.url,
          TOKEN_STATUS,
        );
        assert.equal(tokenStatus.state, 'REAUTH_REQUIRED');
        const afterDeath = await emulatorStats(emulator.url);
        assert.equal(afterDeath.errors.invalid_grant, 1);
        assert.equal(afterDeath.tokenGrants.refresh_token, 1, 'the refused call');

        for (const operation of [
          PROFILE_SUB,
          REFRESH_TOKEN,
          PROFILE_SUB,
          REFRESH_TOKEN,
          PROFILE_SUB,
        ]) {
          assert.equal(await errorCode(browser, app, operation), 'REAUTH_REQUIRED');
        }
        assert.deepEqual(await emulatorStats(emulator.url), afterDeath, 'no further token call');
        assert.deepEqual(
          (await eventsOf(database, sub, 'REAUTH_REQUIRED')).map((event) => event.code),
          ['invalid_grant'],
        );
      },
    );

    it(
      'invalid_client: UPSTREAM_UNAVAILABLE, not REAUTH_REQUIRED; the grant is kept and the failure recorded',
      { timeout: 30_000 },
      async (t) => {
        const app = await appFor(t);
        await admin.reset();
        const { sub, browser } = await userWithExpiredToken(app, 'Misconfigured');
        const before = await tokenRow(database, sub);
        await admin.resetStats();
        await admin.addFault({ endpoint: 'token', error: 'invalid_client', count: 5 });
        try {
          assert.equal(await errorCode(browser, app, PROFILE_SUB), 'UPSTREAM_UNAVAILABLE');
          const { tokenStatus } = await graphqlData<{ tokenStatus: { state: string } }>(
            browser,
            app.url,
            TOKEN_STATUS,
          );
          assert.ok(['ACTIVE', 'EXPIRED'].includes(tokenStatus.state), tokenStatus.state);
          const stats = await emulatorStats(emulator.url);
          assert.equal(
            stats.errors.invalid_client,
            1,
            'one call: an operator problem is not retried',
          );
          const after = await tokenRow(database, sub);
          assert.equal(after.state, 'ACTIVE');
          assert.equal(after.refresh_token_ciphertext, before.refresh_token_ciphertext);
          assert.equal(after.last_error_code, 'invalid_client');
          const failures = await eventsOf(database, sub, 'REFRESH_FAILED');
          assert.ok(
            failures.some((event) => event.code === 'invalid_client'),
            JSON.stringify(failures),
          );
        } finally {
          await admin.clearFaults();
        }
      },
    );

    it(
      'an instance on a host with a long name (60 characters, a Kubernetes pod for instance) can take the lease',
      { timeout: 30_000 },
      async (t) => {
        // TokenRefresher names itself `${os.hostname()}:${pid}:${8 hex digits}` in
        // refresh_lease_owner, a varchar(64): with this host name that is 70 characters or more.
        const podName = 'tokenkeep-refresh-production-europe-west1-b-7d9f8c6b5d-x2k4q';
        const realHostname = os.hostname;
        os.hostname = () => podName;
        syncBuiltinESMExports();
        let app: TestApp;
        try {
          assert.equal(hostname(), podName, 'the app will see the long host name');
          // Its error log names the cause when the refresh fails.
          app = await appFor(t, { LOG_LEVEL: 'error' });
        } finally {
          os.hostname = realHostname;
          syncBuiltinESMExports();
        }
        await admin.reset();
        const { sub, browser } = await userWithExpiredToken(app, 'Longhost');
        await admin.resetStats();

        const answer = await graphql<{ profile: { sub: string } }>(browser, app.url, PROFILE_SUB);
        assert.equal(
          answer.errors,
          undefined,
          `the refresh failed: ${JSON.stringify(answer.errors)} (is the lease owner longer than refresh_lease_owner allows?)`,
        );
        assert.equal(answer.data?.profile.sub, sub);
        assert.equal((await emulatorStats(emulator.url)).tokenGrants.refresh_token, 1);
        const row = await tokenRow(database, sub);
        assert.equal(row.refresh_lease_owner, null);
        assert.equal(row.refresh_count, 1);
      },
    );
  });
});
