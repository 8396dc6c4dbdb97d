import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { googleEmulatorPlugin } from './google-emulator.plugin.js';
import {
  ADA_SUB,
  BASE,
  CLIENT,
  ISSUER,
  OTHER_CLIENT,
  authorize,
  buildEmulator,
  exchangeCode,
  getJson,
  obtainCode,
  postForm,
  postJson,
  readConsentForm,
  refresh,
  signIn,
} from './emulator.test-harness.js';

describe('admin API', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildEmulator();
  });
  afterAll(() => app.close());

  it('counts requests per endpoint and resets', async () => {
    await app.inject({ method: 'DELETE', url: `${BASE}/__emulator/stats` });
    const tokens = await signIn(app, { access_type: 'offline', prompt: 'consent' });
    await refresh(app, String(tokens.refresh_token));
    await refresh(app, '1//0unknown');
    await getJson(app, '/v1/userinfo', { authorization: `Bearer ${tokens.access_token}` });
    await getJson(app, `/tokeninfo?access_token=${tokens.access_token}`);
    await postForm(app, '/revoke', { token: tokens.access_token });
    await authorize(app, { client_id: 'nobody' });
    expect((await getJson(app, '/__emulator/stats')).json()).toEqual({
      authorizationRequests: 2,
      authorizationCodesIssued: 1,
      tokenGrants: { authorization_code: 1, refresh_token: 2 },
      userinfo: 1,
      tokeninfo: 1,
      revocations: 1,
      errors: { invalid_grant: 1, invalid_client: 1 },
    });
    const reset = await app.inject({ method: 'DELETE', url: `${BASE}/__emulator/stats` });
    expect(reset.json<{ userinfo: number }>().userinfo).toBe(0);
  });

  it('registers clients, adding redirect URIs for the same secret', async () => {
    const client = {
      client_id: 'bench.apps.googleusercontent.com',
      client_secret: 's3cret',
      redirect_uris: ['http://127.0.0.1:4001/cb'],
    };
    const created = await postJson(app, '/__emulator/clients', client);
    expect(created.statusCode).toBe(201);
    const second = await postJson(app, '/__emulator/clients', {
      ...client,
      redirect_uris: ['http://127.0.0.1:4002/cb'],
    });
    expect(second.statusCode).toBe(201);
    expect(second.json()).toEqual({
      client_id: client.client_id,
      redirect_uris: ['http://127.0.0.1:4001/cb', 'http://127.0.0.1:4002/cb'],
      publishing_status: 'production',
    });
    const page = await authorize(app, {
      client_id: client.client_id,
      redirect_uri: 'http://127.0.0.1:4002/cb',
    });
    expect(page.statusCode).toBe(200);
    const conflict = await postJson(app, '/__emulator/clients', { ...client, client_secret: 'x' });
    expect(conflict.statusCode).toBe(409);
  });

  it('refuses bad client input with a clear message', async () => {
    const response = await postJson(app, '/__emulator/clients', {
      client_id: 'x',
      client_secret: 'y',
      redirect_uris: ['not a url'],
    });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: string }>().error).toMatch(
      /redirect_uris\.0: must be an absolute URL/,
    );
  });

  it('adds users, generating a 21-digit sub, and offers them on the consent page', async () => {
    const response = await postJson(app, '/__emulator/users', {
      email: 'grace@example.com',
      name: 'Grace Hopper',
      hd: 'example.com',
    });
    expect(response.statusCode).toBe(201);
    const user = response.json<{ sub: string; email: string; hd: string }>();
    expect(user.sub).toMatch(/^\d{21}$/);
    expect(user.hd).toBe('example.com');
    const page = await authorize(app, { login_hint: 'grace@example.com' });
    expect(readConsentForm(page.body).checkedSub).toBe(user.sub);
    const callback = await obtainCode(app, { login_hint: 'grace@example.com' });
    expect(callback.get('hd')).toBe('example.com');
    const bad = await postJson(app, '/__emulator/users', { email: 'nope', name: 'X' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: string }>().error).toMatch(/email: must be an email address/);
  });

  it('revokes every grant of a user, across clients', async () => {
    const mine = await signIn(app, { access_type: 'offline', prompt: 'consent' });
    const callback = await obtainCode(app, {
      client_id: OTHER_CLIENT.clientId,
      access_type: 'offline',
    });
    const theirs = await exchangeCode(app, String(callback.get('code')), {
      client_id: OTHER_CLIENT.clientId,
      client_secret: OTHER_CLIENT.clientSecret,
    });
    const response = await postJson(app, '/__emulator/revoke', { email: 'ada@example.com' });
    expect(response.json()).toEqual({ revokedGrants: 2 });
    expect((await refresh(app, String(mine.refresh_token))).statusCode).toBe(400);
    const otherRefresh = await refresh(
      app,
      String(theirs.json<{ refresh_token: string }>().refresh_token),
      {
        client_id: OTHER_CLIENT.clientId,
        client_secret: OTHER_CLIENT.clientSecret,
      },
    );
    expect(otherRefresh.json<{ error: string }>().error).toBe('invalid_grant');
    expect((await postJson(app, '/__emulator/revoke', { sub: ADA_SUB })).json()).toEqual({
      revokedGrants: 0,
    });
    expect((await postJson(app, '/__emulator/revoke', { sub: '1' })).statusCode).toBe(404);
    expect((await postJson(app, '/__emulator/revoke', {})).statusCode).toBe(400);
  });

  it('validates faults', async () => {
    const refused = [
      { endpoint: 'nowhere', status: 503 },
      { endpoint: 'token', status: 404 },
      { endpoint: 'token', status: 503, error: 'invalid_grant' },
      { endpoint: 'userinfo', error: 'invalid_grant' },
      { endpoint: 'token' },
      { endpoint: 'token', status: 503, count: 0 },
      { endpoint: 'token', statusCode: 503 },
    ];
    for (const fault of refused) {
      const response = await postJson(app, '/__emulator/faults', fault);
      expect(response.statusCode).toBe(400);
      expect(response.json<{ error: string }>().error.length).toBeGreaterThan(0);
    }
  });

  it('moves the clock forward', async () => {
    const response = await postJson(app, '/__emulator/clock', { advanceSeconds: 10 });
    expect(response.json()).toEqual({ offsetSeconds: 10 });
  });
});

describe('plugin options', () => {
  it('embeds the token marker in codes, access and refresh tokens', async () => {
    const app = await buildEmulator({ tokenMarker: 'CANARY42' });
    try {
      const code = String((await obtainCode(app, { access_type: 'offline' })).get('code'));
      expect(code.includes('CANARY42')).toBeTruthy();
      const tokens = (await exchangeCode(app, code)).json<Record<string, string>>();
      expect(tokens.access_token.includes('CANARY42')).toBeTruthy();
      expect(tokens.refresh_token.includes('CANARY42')).toBeTruthy();
    } finally {
      await app.close();
    }
  });

  it('mounts no admin API when adminApi is false', async () => {
    const app = await buildEmulator({ adminApi: false });
    try {
      expect((await getJson(app, '/__emulator/stats')).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('reuses the parent’s form parser (as under Nest) and keeps routes below the prefix', async () => {
    const app = Fastify();
    await app.register(formbody);
    await app.register(googleEmulatorPlugin, {
      prefix: BASE,
      issuer: ISSUER,
      accessTokenTtlSeconds: 60,
      clients: [CLIENT],
    });
    try {
      const tokens = await signIn(app);
      expect(tokens.access_token).toMatch(/^ya29\./);
      expect((await app.inject({ url: '/token' })).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('refuses an issuer that is not an absolute URL', async () => {
    const app = Fastify();
    await expect(async () => {
      await app.register(googleEmulatorPlugin, { issuer: '/relative', accessTokenTtlSeconds: 60 });
    }).rejects.toThrow(/issuer must be an absolute http\(s\) URL/);
    await app.close();
  });
});
