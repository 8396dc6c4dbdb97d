import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent, request } from 'undici';
import { TestBrowser } from './support/browser.js';
import { graphql } from './support/graphql.js';
import { signIn } from './support/sign-in.js';
import { startTestApp, withTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const FLOOD_DOCUMENT = `{${'me{email} me{id} '.repeat(3760)}}`;

/** A client whose connections leave from `address`, another loopback address than the tests'. */
function clientFrom(address: string) {
  const agent = new Agent({ localAddress: address });
  return {
    async postGraphql(appUrl: string, query: string, headers: Record<string, string> = {}) {
      const response = await request(`${appUrl}/graphql`, {
        dispatcher: agent,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query }),
      });
      const body = (await response.body.json()) as {
        errors?: { message: string; extensions?: { code?: string } }[];
      };
      return { status: response.statusCode, retryAfter: response.headers['retry-after'], body };
    },
    close: () => agent.close(),
  };
}

/** A Retry-After of whole seconds, no longer than the window. */
function expectRetryAfter(value: string | string[] | null | undefined, windowSeconds: number) {
  expect(value).toMatch(/^\d+$/);
  expect(Number(value)).toBeGreaterThanOrEqual(1);
  expect(Number(value)).toBeLessThanOrEqual(windowSeconds);
}

describe('rate limits', () => {
  let database: TestDatabase;
  let app: TestApp;
  const browser = new TestBrowser();

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    app = await startTestApp(database, {
      RATE_LIMIT_GRAPHQL_PER_MINUTE: '3',
      RATE_LIMIT_SIGN_IN_PER_MINUTE: '4',
      RATE_LIMIT_WINDOW_SECONDS: '2',
    });
  });

  afterAll(async () => {
    await app?.stop();
    await database?.drop();
  });

  it('answers 429 RATE_LIMITED with Retry-After past the GraphQL limit of a session, then recovers', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const response = await browser.postJson(`${app.url}/graphql`, { query: '{ me { id } }' });
      const body = JSON.parse(response.body) as { errors: { extensions: { code: string } }[] };
      answers.push({ response, code: body.errors[0].extensions.code });
    }
    expect(answers.map(({ response, code }) => [response.status, code])).toEqual([
      [200, 'UNAUTHENTICATED'],
      [200, 'UNAUTHENTICATED'],
      [200, 'UNAUTHENTICATED'],
      [429, 'RATE_LIMITED'],
      [429, 'RATE_LIMITED'],
    ]);
    for (const { response } of answers.slice(3))
      expectRetryAfter(response.headers.get('retry-after'), 2);
    const deadline = Date.now() + 6000;
    let code: unknown = 'RATE_LIMITED';
    while (code === 'RATE_LIMITED' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      code = (await graphql(browser, app.url, '{ me { id } }')).errors?.[0].extensions?.code;
    }
    // served again once the window passed
    expect(code).toBe('UNAUTHENTICATED');
  });

  it('answers 429 with Retry-After past the sign-in limit of an address', async () => {
    const responses = [];
    for (let i = 0; i < 6; i++)
      responses.push(await fetch(`${app.url}/auth/google`, { redirect: 'manual' }));
    expect(responses.map((response) => response.status)).toEqual([302, 302, 302, 302, 429, 429]);
    for (const response of responses.slice(4))
      expectRetryAfter(response.headers.get('retry-after'), 2);
  });
});

describe('the per-address GraphQL limit', () => {
  // 2 per session, so 8 per address, per minute
  const suite = withTestApp('sqlite', { RATE_LIMIT_GRAPHQL_PER_MINUTE: '2' });

  it('counts documents before parsing them: after a flood an address gets 429 even for a valid query, and only that address', async () => {
    const user = new TestBrowser();
    await signIn(user, suite.app.url);
    const cookieName = suite.app.config.session.cookieName;
    const session = { cookie: `${cookieName}=${user.cookie(cookieName)}` };
    const flooder = clientFrom('127.0.0.2');
    try {
      for (let i = 0; i < 8; i++) {
        const answer = await flooder.postGraphql(suite.app.url, `${FLOOD_DOCUMENT} #${i}`);
        expect([answer.status, answer.body.errors?.[0].message]).toEqual([
          400,
          'Document too large: at most 2000 tokens',
        ]);
      }
      const refused = await flooder.postGraphql(suite.app.url, '{ me { id } }', session);
      expect(refused.status).toBe(429);
      expect(refused.body.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
      expectRetryAfter(refused.retryAfter, 60);
      // the same session from its own address is served
      const served = await graphql<{ me: { id: string } }>(user, suite.app.url, '{ me { id } }');
      expect(served.status).toBe(200);
      expect(served.data?.me.id).toMatch(/\S/);
    } finally {
      await flooder.close();
    }
  });
});

describe('rate limits behind a trusted proxy', () => {
  let database: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    app = await startTestApp(database, {
      RATE_LIMIT_SIGN_IN_PER_MINUTE: '2',
      RATE_LIMIT_GRAPHQL_PER_MINUTE: '1',
      TRUST_PROXY: '1',
    });
  });

  afterAll(async () => {
    await app?.stop();
    await database?.drop();
  });

  const signInFrom = async (forwardedFor: string) =>
    (
      await fetch(`${app.url}/auth/google`, {
        redirect: 'manual',
        headers: { 'x-forwarded-for': forwardedFor },
      })
    ).status;

  it('counts each client address from X-Forwarded-For, not the proxy’s', async () => {
    expect([
      await signInFrom('203.0.113.1'),
      await signInFrom('203.0.113.1'),
      await signInFrom('203.0.113.1'),
    ]).toEqual([302, 302, 429]);
    // another client behind the same proxy is not limited
    expect(await signInFrom('203.0.113.2')).toBe(302);
  });

  it('with a hop count of 1, counts the address the proxy appended, whatever the client wrote before it', async () => {
    // The proxy appends the address it saw (203.0.113.7); the client rotates what it sends.
    const rotated = () => `198.51.100.${randomInt(1, 255)}, 203.0.113.7`;
    const signIns = [];
    for (let i = 0; i < 4; i++) signIns.push(await signInFrom(rotated()));
    expect(signIns).toEqual([302, 302, 429, 429]);

    const graphqlStatuses = [];
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': rotated() },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      graphqlStatuses.push(response.status);
    }
    // 1 per session, 4 per address
    expect(graphqlStatuses).toEqual([200, 200, 200, 200, 429]);
  });
});

describe('rate limits behind proxies named by address', () => {
  // The tests connect from 127.0.0.1, which is not one of the trusted proxies.
  const suite = withTestApp('sqlite', {
    RATE_LIMIT_SIGN_IN_PER_MINUTE: '2',
    TRUST_PROXY: '10.0.0.0/8',
  });

  it('ignores X-Forwarded-For from a client that is not one of them', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${suite.app.url}/auth/google`, {
        redirect: 'manual',
        headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([302, 302, 429, 429]);
  });
});
