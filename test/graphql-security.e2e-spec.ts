import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestBrowser } from './support/browser.js';
import { graphql, graphqlData, TOKEN_STATUS } from './support/graphql.js';
import { signIn } from './support/sign-in.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const REFRESH = 'mutation { refreshToken { refreshCount } }';

describe('GraphQL request hardening', () => {
  let database: TestDatabase;
  let app: TestApp;
  const browser = new TestBrowser();
  let cookie: string;

  const refreshCount = async () =>
    (await graphqlData<{ tokenStatus: { refreshCount: number } }>(browser, app.url, TOKEN_STATUS))
      .tokenStatus.refreshCount;

  /** A raw request carrying the signed-in browser's session cookie. */
  const send = (path: string, init: RequestInit = {}) =>
    fetch(`${app.url}${path}`, {
      ...init,
      headers: { cookie, ...(init.headers as Record<string, string>) },
    });

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    app = await startTestApp(database);
    await signIn(browser, app.url);
    cookie = `${app.config.session.cookieName}=${browser.cookie(app.config.session.cookieName)}`;
  });

  afterAll(async () => {
    await app?.stop();
    await database?.drop();
  });

  describe('CSRF: only requests a browser cannot forge cross-site get through', () => {
    it('refuses a text/plain POST and a form POST without running the mutation', async () => {
      const before = await refreshCount();
      for (const [contentType, body] of [
        ['text/plain', JSON.stringify({ query: REFRESH })],
        ['application/x-www-form-urlencoded', new URLSearchParams({ query: REFRESH }).toString()],
      ]) {
        const response = await send('/graphql', {
          method: 'POST',
          headers: { 'content-type': contentType },
          body,
        });
        expect(response.status >= 400 && response.status < 500).toBeTruthy();
      }
      expect(await refreshCount()).toBe(before);
    });

    it('refuses a GET without a preflight header, and any mutation over GET', async () => {
      const query = encodeURIComponent(TOKEN_STATUS);
      expect((await send(`/graphql?query=${query}`)).status).toBe(400);
      const withHeader = await send(`/graphql?query=${query}`, {
        headers: { 'x-requested-with': 'test' },
      });
      expect(withHeader.status).toBe(200);
      const before = await refreshCount();
      const mutation = await send(`/graphql?query=${encodeURIComponent(REFRESH)}`, {
        headers: { 'x-requested-with': 'test' },
      });
      expect(mutation.status).toBe(405);
      expect(await refreshCount()).toBe(before);
    });

    it('refuses a request from another origin, and accepts our own', async () => {
      const body = JSON.stringify({ query: TOKEN_STATUS });
      const post = (origin: string) =>
        send('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin },
          body,
        });
      const foreign = await post('https://evil.example');
      expect(foreign.status).toBe(403);
      expect(
        ((await foreign.json()) as { errors: { extensions: { code: string } }[] }).errors[0]
          .extensions.code,
      ).toBe('FORBIDDEN');
      expect((await post(new URL(app.config.publicUrl).origin)).status).toBe(200);
    });
  });

  describe('costly documents are refused before any resolver runs', () => {
    it('too many aliases', async () => {
      const before = await refreshCount();
      const aliased = Array.from(
        { length: 16 },
        (_, i) => `r${i}: refreshToken { refreshCount }`,
      ).join(' ');
      const answer = await graphql(browser, app.url, `mutation { ${aliased} }`);
      expect(answer.errors?.[0].message ?? '').toMatch(/Too many aliases/);
      // no refresh ran
      expect(await refreshCount()).toBe(before);
    });

    it('too many fields, counted through fragments', async () => {
      const spreads = Array.from({ length: 30 }, () => '...S').join(' ');
      const answer = await graphql(
        browser,
        app.url,
        `{ tokenStatus { ${spreads} } } fragment S on TokenStatus { state scopes expiresAt expiresInSeconds hasRefreshToken lastRefreshedAt refreshCount }`,
      );
      expect(answer.errors?.[0].message ?? '').toMatch(/too complex/);
    });

    it('too deep', async () => {
      let selection = 'name';
      for (let depth = 0; depth < 10; depth++) selection = `ofType { ${selection} }`;
      const answer = await graphql(
        browser,
        app.url,
        `{ __schema { types { fields { type { ${selection} } } } } }`,
      );
      expect(JSON.stringify(answer.errors)).toMatch(/depth/i);
      expect(answer.data).toBe(null);
    });

    it('batches', async () => {
      const response = await send('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ query: TOKEN_STATUS }, { query: TOKEN_STATUS }]),
      });
      expect(response.status).toBe(400);
    });

    it('bodies over 64 KiB', async () => {
      const response = await send('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ me { id } } #${'x'.repeat(70_000)}` }),
      });
      expect(response.status).toBe(413);
    });
  });

  it('sends security headers on every page', async () => {
    const home = await fetch(`${app.url}/`);
    expect(home.headers.get('content-security-policy') ?? '').toMatch(/script-src 'self'/);
    expect(home.headers.get('x-content-type-options')).toBe('nosniff');
    expect(home.headers.get('x-frame-options') ?? '').toMatch(/SAMEORIGIN|DENY/);
  });
});

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

  it('answers RATE_LIMITED past the GraphQL limit of a session, then recovers', async () => {
    const outcomes = [];
    for (let i = 0; i < 5; i++)
      outcomes.push(
        (await graphql(browser, app.url, '{ me { id } }')).errors?.[0].extensions?.code,
      );
    expect(outcomes).toEqual([
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
    const deadline = Date.now() + 6000;
    let code: unknown = 'RATE_LIMITED';
    while (code === 'RATE_LIMITED' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      code = (await graphql(browser, app.url, '{ me { id } }')).errors?.[0].extensions?.code;
    }
    // served again once the window passed
    expect(code).toBe('UNAUTHENTICATED');
  });

  it('answers 429 past the sign-in limit of an address', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await fetch(`${app.url}/auth/google`, { redirect: 'manual' })).status);
    expect(statuses).toEqual([302, 302, 302, 302, 429, 429]);
  });
});

describe('rate limits behind a trusted proxy', () => {
  let database: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    app = await startTestApp(database, { RATE_LIMIT_SIGN_IN_PER_MINUTE: '2', TRUST_PROXY: '1' });
  });

  afterAll(async () => {
    await app?.stop();
    await database?.drop();
  });

  it('counts each client address from X-Forwarded-For, not the proxy’s', async () => {
    const signInFrom = async (client: string) =>
      (
        await fetch(`${app.url}/auth/google`, {
          redirect: 'manual',
          headers: { 'x-forwarded-for': client },
        })
      ).status;
    expect([
      await signInFrom('203.0.113.1'),
      await signInFrom('203.0.113.1'),
      await signInFrom('203.0.113.1'),
    ]).toEqual([302, 302, 429]);
    // another client behind the same proxy is not limited
    expect(await signInFrom('203.0.113.2')).toBe(302);
  });
});
