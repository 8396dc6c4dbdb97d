import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import {
  ALAN_SUB,
  OTHER_CLIENT,
  assertTokenError,
  OPENID_EMAIL_PROFILE,
  buildEmulator,
  postForm,
  refresh,
  signIn,
  type TokenBody,
} from './spec-harness.spec.js';

describe('token endpoint: when a refresh token is issued', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildEmulator();
  });
  after(() => app.close());

  it('gives none for online access', async () => {
    assert.equal((await signIn(app, { login_hint: ALAN_SUB })).refresh_token, undefined);
  });

  it('gives one on the first offline grant only', async () => {
    assert.ok((await signIn(app, { access_type: 'offline' })).refresh_token);
    assert.equal((await signIn(app, { access_type: 'offline' })).refresh_token, undefined);
  });

  it('gives one again when consent is forced', async () => {
    assert.ok((await signIn(app, { access_type: 'offline', prompt: 'consent' })).refresh_token);
    assert.ok(
      (await signIn(app, { access_type: 'offline', approval_prompt: 'force' })).refresh_token,
    );
  });

  it('gives one again after the grant was revoked', async () => {
    const tokens = await signIn(app, { access_type: 'offline', prompt: 'consent' });
    const revoke = await postForm(app, '/revoke', { token: tokens.access_token });
    assert.equal(revoke.statusCode, 200);
    assert.ok((await signIn(app, { access_type: 'offline' })).refresh_token);
  });
});

describe('token endpoint: refresh_token grant', () => {
  let app: FastifyInstance;
  let refreshToken: string;
  before(async () => {
    app = await buildEmulator({ accessTokenTtlSeconds: 3 });
    refreshToken = String(
      (await signIn(app, { access_type: 'offline', nonce: 'n-1' })).refresh_token,
    );
  });
  after(() => app.close());

  it('mints a new access token, same scope and expires_in, an id_token, no refresh token', async () => {
    const response = await refresh(app, refreshToken);
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json<TokenBody>();
    assert.deepEqual(Object.keys(body), [
      'access_token',
      'expires_in',
      'scope',
      'token_type',
      'id_token',
    ]);
    assert.equal(body.expires_in, 3);
    assert.equal(body.scope, OPENID_EMAIL_PROFILE);
    const claims = JSON.parse(
      Buffer.from(String(body.id_token).split('.')[1], 'base64url').toString(),
    ) as Record<string, unknown>;
    assert.equal(claims.nonce, undefined, 'no nonce on refresh');
    assert.equal(
      response.headers['cache-control'],
      'no-cache, no-store, max-age=0, must-revalidate',
    );
  });

  it('refuses an unknown refresh token', async () => {
    assertTokenError(
      await refresh(app, '1//0unknown'),
      400,
      'invalid_grant',
      'Token has been expired or revoked.',
    );
  });

  it('refuses another client’s refresh token', async () => {
    const response = await refresh(app, refreshToken, {
      client_id: OTHER_CLIENT.clientId,
      client_secret: OTHER_CLIENT.clientSecret,
    });
    assertTokenError(response, 401, 'unauthorized_client', 'Unauthorized');
  });

  it('needs the refresh_token parameter', async () => {
    assertTokenError(
      await refresh(app, ''),
      400,
      'invalid_request',
      'Missing required parameter: refresh_token',
    );
  });

  it('keeps at most 100 live refresh tokens per user and client', async () => {
    const first = String(
      (await signIn(app, { access_type: 'offline', prompt: 'consent' })).refresh_token,
    );
    for (let issued = 1; issued < 100; issued += 1) {
      await signIn(app, { access_type: 'offline', prompt: 'consent' });
    }
    assert.equal((await refresh(app, first)).statusCode, 200, 'the 100th newest still works');
    await signIn(app, { access_type: 'offline', prompt: 'consent' });
    assertTokenError(
      await refresh(app, first),
      400,
      'invalid_grant',
      'Token has been expired or revoked.',
    );
  });
});
