import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
} from './spec-harness.spec.js';

describe('admin API', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildEmulator();
  });
  after(() => app.close());

  it('counts requests per endpoint and resets', async () => {
    await app.inject({ method: 'DELETE', url: `${BASE}/__emulator/stats` });
    const tokens = await signIn(app, { access_type: 'offline', prompt: 'consent' });
    await refresh(app, String(tokens.refresh_token));
    await refresh(app, '1//0unknown');
    await getJson(app, '/v1/userinfo', { authorization: `Bearer ${tokens.access_token}` });
    await getJson(app, `/tokeninfo?access_token=${tokens.access_token}`);
    await postForm(app, '/revoke', { token: tokens.access_token });
    await authorize(app, { client_id: 'nobody' });
    assert.deepEqual((await getJson(app, '/__emulator/stats')).json(), {
      authorizationRequests: 2,
      authorizationCodesIssued: 1,
      tokenGrants: { authorization_code: 1, refresh_token: 2 },
      userinfo: 1,
      tokeninfo: 1,
      revocations: 1,
      errors: { invalid_grant: 1, invalid_client: 1 },
    });
    const reset = await app.inject({ method: 'DELETE', url: `${BASE}/__emulator/stats` });
    assert.equal(reset.json<{ userinfo: number }>().userinfo, 0);
  });

  it('registers clients, adding redirect URIs for the same secret', async () => {
    const client = {
      client_id: 'bench.apps.googleusercontent.com',
      client_secret: 's3cret',
      redirect_uris: ['http://127.0.0.1:4001/cb'],
    };
    const created = await postJson(app, '/__emulator/clients', client);
    assert.equal(created.statusCode, 201);
    const second = await postJson(app, '/__emulator/clients', {
      ...client,
      redirect_uris: ['http://127.0.0.1:4002/cb'],
    });
    assert.equal(second.statusCode, 201);
    assert.deepEqual(second.json(), {
      client_id: client.client_id,
      redirect_uris: ['http://127.0.0.1:4001/cb', 'http://127.0.0.1:4002/cb'],
    });
    const page = await authorize(app, {
      client_id: client.client_id,
      redirect_uri: 'http://127.0.0.1:4002/cb',
    });
    assert.equal(page.statusCode, 200);
    const conflict = await postJson(app, '/__emulator/clients', { ...client, client_secret: 'x' });
    assert.equal(conflict.statusCode, 409);
  });

  it('refuses bad client input with a clear message', async () => {
    const response = await postJson(app, '/__emulator/clients', {
      client_id: 'x',
      client_secret: 'y',
      redirect_uris: ['not a url'],
    });
    assert.equal(response.statusCode, 400);
    assert.match(
      response.json<{ error: string }>().error,
      /redirect_uris\.0: must be an absolute URL/,
    );
  });

  it('adds users, generating a 21-digit sub, and offers them on the consent page', async () => {
    const response = await postJson(app, '/__emulator/users', {
      email: 'grace@example.com',
      name: 'Grace Hopper',
      hd: 'example.com',
    });
    assert.equal(response.statusCode, 201);
    const user = response.json<{ sub: string; email: string; hd: string }>();
    assert.match(user.sub, /^\d{21}$/);
    assert.equal(user.hd, 'example.com');
    const page = await authorize(app, { login_hint: 'grace@example.com' });
    assert.equal(readConsentForm(page.body).checkedSub, user.sub);
    const callback = await obtainCode(app, { login_hint: 'grace@example.com' });
    assert.equal(callback.get('hd'), 'example.com');
    const bad = await postJson(app, '/__emulator/users', { email: 'nope', name: 'X' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json<{ error: string }>().error, /email: must be an email address/);
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
    assert.deepEqual(response.json(), { revokedGrants: 2 });
    assert.equal((await refresh(app, String(mine.refresh_token))).statusCode, 400);
    const otherRefresh = await refresh(
      app,
      String(theirs.json<{ refresh_token: string }>().refresh_token),
      {
        client_id: OTHER_CLIENT.clientId,
        client_secret: OTHER_CLIENT.clientSecret,
      },
    );
    assert.equal(otherRefresh.json<{ error: string }>().error, 'invalid_grant');
    assert.deepEqual((await postJson(app, '/__emulator/revoke', { sub: ADA_SUB })).json(), {
      revokedGrants: 0,
    });
    assert.equal((await postJson(app, '/__emulator/revoke', { sub: '1' })).statusCode, 404);
    assert.equal((await postJson(app, '/__emulator/revoke', {})).statusCode, 400);
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
      assert.equal(response.statusCode, 400, JSON.stringify(fault));
      assert.ok(response.json<{ error: string }>().error.length > 0);
    }
  });

  it('moves the clock forward', async () => {
    const response = await postJson(app, '/__emulator/clock', { advanceSeconds: 10 });
    assert.deepEqual(response.json(), { offsetSeconds: 10 });
  });
});

describe('plugin options', () => {
  it('embeds the token marker in codes, access and refresh tokens', async () => {
    const app = await buildEmulator({ tokenMarker: 'CANARY42' });
    try {
      const code = String((await obtainCode(app, { access_type: 'offline' })).get('code'));
      assert.ok(code.includes('CANARY42'));
      const tokens = (await exchangeCode(app, code)).json<Record<string, string>>();
      assert.ok(tokens.access_token.includes('CANARY42'));
      assert.ok(tokens.refresh_token.includes('CANARY42'));
    } finally {
      await app.close();
    }
  });

  it('mounts no admin API when adminApi is false', async () => {
    const app = await buildEmulator({ adminApi: false });
    try {
      assert.equal((await getJson(app, '/__emulator/stats')).statusCode, 404);
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
      assert.match(tokens.access_token, /^ya29\./);
      assert.equal((await app.inject({ url: '/token' })).statusCode, 404);
    } finally {
      await app.close();
    }
  });

  it('refuses an issuer that is not an absolute URL', async () => {
    const app = Fastify();
    await assert.rejects(async () => {
      await app.register(googleEmulatorPlugin, { issuer: '/relative', accessTokenTtlSeconds: 60 });
    }, /issuer must be an absolute http\(s\) URL/);
    await app.close();
  });
});
