import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { TestBrowser } from './support/browser.js';
import { startTestEmulator } from './support/emulator-admin.js';
import { graphql } from './support/graphql.js';
import { answerConsent, parseConsentPage } from './support/sign-in.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { PUBLIC_URL } from './support/balancer-sign-in.js';

const GRAPHQL_PER_MINUTE = 5;
const SIGN_IN_PER_MINUTE = 6;

describe('rate limits with REDIS_URL: two instances enforce one limit', () => {
  let database: TestDatabase;
  let emulator: StandaloneEmulator;
  let apps: TestApp[];
  const browser = new TestBrowser();

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    emulator = await startTestEmulator(600);
    const env = {
      GOOGLE_EMULATOR_URL: emulator.url,
      PUBLIC_URL,
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      // Counters of this run alone, whatever else uses the server.
      REDIS_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}:`,
      // This test is about sharing, not failing open: on a loaded machine a Redis answer can
      // come after the default 250 ms, and the request would then be served without limits.
      REDIS_COMMAND_TIMEOUT_MS: '10000',
      RATE_LIMIT_GRAPHQL_PER_MINUTE: String(GRAPHQL_PER_MINUTE),
      RATE_LIMIT_SIGN_IN_PER_MINUTE: String(SIGN_IN_PER_MINUTE),
    };
    apps = await Promise.all([startTestApp(database, env), startTestApp(database, env)]);
    // A sign-in started on one instance and finished on the other: two sign-in requests.
    const start = await browser.get(`${apps[0].url}/auth/google`);
    const consent = parseConsentPage(await browser.get(start.location ?? ''));
    const callbackUrl = await answerConsent(browser, consent, 'allow');
    expect((await browser.get(callbackUrl.replace(PUBLIC_URL, apps[1].url))).status).toBe(303);
  });

  afterAll(async () => {
    await Promise.all((apps ?? []).map((app) => app.stop()));
    await emulator?.close();
    await database?.drop();
  });

  it('one session gets its GraphQL limit once, not once per instance', async () => {
    const codes: unknown[] = [];
    for (let request = 0; request < GRAPHQL_PER_MINUTE + 3; request++) {
      const app = apps[request % 2];
      const answer = await graphql(browser, app.url, '{ me { id } }');
      codes.push(answer.errors?.[0]?.extensions?.code ?? 'OK');
    }
    expect(codes).toEqual([
      ...Array<string>(GRAPHQL_PER_MINUTE).fill('OK'),
      'RATE_LIMITED',
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
  });

  it('one address gets its sign-in limit once, not once per instance', async () => {
    const statuses: number[] = [];
    // Two sign-in requests were spent in beforeAll.
    for (let request = 2; request < SIGN_IN_PER_MINUTE + 2; request++) {
      const answer = await new TestBrowser().get(`${apps[request % 2].url}/auth/google`);
      statuses.push(answer.status);
      if (answer.status === 429) expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    // The sign-in in beforeAll spent at least one: what is left, then 429 on both instances.
    const allowed = statuses.indexOf(429);
    expect(allowed).toBeGreaterThan(0);
    expect(allowed).toBeLessThan(SIGN_IN_PER_MINUTE);
    expect(statuses.slice(allowed)).toEqual(Array<number>(statuses.length - allowed).fill(429));
  });
});
