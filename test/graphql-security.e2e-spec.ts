import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { TestBrowser } from './support/browser.js';
import { emulatorStats } from './support/emulator-admin.js';
import { graphql, graphqlData, TOKEN_STATUS, type GraphqlAnswer } from './support/graphql.js';
import { signIn } from './support/sign-in.js';
import { startTestApp, withTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const REFRESH = 'mutation { refreshToken { refreshCount } }';

/** What graphql-js can ask for; GraphiQL 4 sends its default query. */
const ALL_INTROSPECTION_OPTIONS = {
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
};

/** `ofType { … }` nested `levels` times around `name`. */
const ofTypeChain = (levels: number) =>
  Array.from({ length: levels }).reduce<string>((selection) => `ofType { ${selection} }`, 'name');

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
      const answer = await graphql(
        browser,
        app.url,
        '{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }',
      );
      expect(answer.errors?.[0].message ?? '').toMatch(/Query too deep: depth 9/);
      expect(answer.data).toBe(null);
    });

    it('over the token cap, however few fields it would select', async () => {
      const response = await send('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{${'me{email} me{id} '.repeat(3760)}}` }),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as GraphqlAnswer<unknown>;
      expect(body.errors).toEqual([
        {
          message: 'Document too large: at most 2000 tokens',
          extensions: { code: 'BAD_USER_INPUT' },
        },
      ]);
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

  describe('introspection, outside production', () => {
    it('answers the introspection query of GraphiQL and of other IDEs', async () => {
      for (const options of [{}, ALL_INTROSPECTION_OPTIONS]) {
        const data = await graphqlData<IntrospectionQuery>(
          browser,
          app.url,
          getIntrospectionQuery(options),
        );
        expect(data.__schema.queryType.name).toBe('Query');
        expect(data.__schema.mutationType?.name).toBe('Mutation');
        const query = data.__schema.types.find((type) => type.name === 'Query');
        expect(query && 'fields' in query ? query.fields.map((field) => field.name) : []).toContain(
          'validateToken',
        );
      }
    });

    it('gives no room to a costly query inside an introspection document', async () => {
      const before = await emulatorStats(app.emulatorUrl);
      const deepTypes = `__schema { types { fields { type { ${ofTypeChain(10)} } } } }`;
      for (const document of [
        `{ profile { sub } ${deepTypes} }`,
        `query { ...Mine ${deepTypes} } fragment Mine on Query { profile { sub } }`,
      ]) {
        const answer = await graphql(browser, app.url, document);
        expect(answer.errors?.[0].message ?? '').toMatch(/^Query too deep/);
        expect(answer.data).toBe(null);
      }
      const aliased = Array.from({ length: 16 }, (_, i) => `t${i}: types { name }`).join(' ');
      const answer = await graphql(browser, app.url, `{ __schema { ${aliased} } }`);
      expect(answer.errors?.[0].message ?? '').toMatch(/^Too many aliases/);
      // profile never asked Google
      expect((await emulatorStats(app.emulatorUrl)).userinfo).toBe(before.userinfo);
    });
  });

  it('sends security headers on every page', async () => {
    const home = await fetch(`${app.url}/`);
    expect(home.headers.get('content-security-policy') ?? '').toMatch(/script-src 'self'/);
    expect(home.headers.get('x-content-type-options')).toBe('nosniff');
    expect(home.headers.get('x-frame-options') ?? '').toMatch(/SAMEORIGIN|DENY/);
  });
});

describe('introspection in production', () => {
  const suite = withTestApp('sqlite', {
    NODE_ENV: 'production',
    PUBLIC_URL: 'https://tokens.example.com',
    GOOGLE_CLIENT_ID: 'prod-client.apps.googleusercontent.com',
    GOOGLE_CLIENT_SECRET: randomBytes(16).toString('hex'),
  });

  it('stays off, for the query an IDE sends too', async () => {
    for (const options of [{}, ALL_INTROSPECTION_OPTIONS]) {
      const answer = await graphql(
        new TestBrowser(),
        suite.app.url,
        getIntrospectionQuery(options),
      );
      expect(answer.data).toBe(null);
      expect(answer.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    const small = await graphql(
      new TestBrowser(),
      suite.app.url,
      '{ __type(name: "Query") { name } }',
    );
    expect(small.errors?.[0].message ?? '').toMatch(/introspection/i);
  });
});
