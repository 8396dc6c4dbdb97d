import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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
} from './emulator.test-harness.js';

describe('token endpoint: when a refresh token is issued', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildEmulator();
  });
  afterAll(() => app.close());

  it('gives none for online access', async () => {
    expect((await signIn(app, { login_hint: ALAN_SUB })).refresh_token).toBe(undefined);
  });

  it('gives one on the first offline grant only', async () => {
    expect((await signIn(app, { access_type: 'offline' })).refresh_token).toBeTruthy();
    expect((await signIn(app, { access_type: 'offline' })).refresh_token).toBe(undefined);
  });

  it('gives one again when consent is forced', async () => {
    expect(
      (await signIn(app, { access_type: 'offline', prompt: 'consent' })).refresh_token,
    ).toBeTruthy();
    expect(
      (await signIn(app, { access_type: 'offline', approval_prompt: 'force' })).refresh_token,
    ).toBeTruthy();
  });

  it('gives one again after the grant was revoked', async () => {
    const tokens = await signIn(app, { access_type: 'offline', prompt: 'consent' });
    const revoke = await postForm(app, '/revoke', { token: tokens.access_token });
    expect(revoke.statusCode).toBe(200);
    expect((await signIn(app, { access_type: 'offline' })).refresh_token).toBeTruthy();
  });
});

describe('token endpoint: refresh_token grant', () => {
  let app: FastifyInstance;
  let refreshToken: string;
  beforeAll(async () => {
    app = await buildEmulator({ accessTokenTtlSeconds: 3 });
    refreshToken = String(
      (await signIn(app, { access_type: 'offline', nonce: 'n-1' })).refresh_token,
    );
  });
  afterAll(() => app.close());

  it('mints a new access token, same scope and expires_in, an id_token, no refresh token', async () => {
    const response = await refresh(app, refreshToken);
    expect(response.statusCode).toBe(200);
    const body = response.json<TokenBody>();
    expect(Object.keys(body)).toEqual([
      'access_token',
      'expires_in',
      'scope',
      'token_type',
      'id_token',
    ]);
    expect(body.expires_in).toBe(3);
    expect(body.scope).toBe(OPENID_EMAIL_PROFILE);
    const claims = JSON.parse(
      Buffer.from(String(body.id_token).split('.')[1], 'base64url').toString(),
    ) as Record<string, unknown>;
    // no nonce on refresh
    expect(claims.nonce).toBe(undefined);
    expect(response.headers['cache-control']).toBe(
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
    // the 100th newest still works
    expect((await refresh(app, first)).statusCode).toBe(200);
    await signIn(app, { access_type: 'offline', prompt: 'consent' });
    assertTokenError(
      await refresh(app, first),
      400,
      'invalid_grant',
      'Token has been expired or revoked.',
    );
  });
});
