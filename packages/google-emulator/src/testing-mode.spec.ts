import { afterEach, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import {
  CLIENT,
  OPENID_EMAIL_PROFILE,
  assertTokenError,
  buildEmulator,
  exchangeCode,
  obtainCode,
  postJson,
  refresh,
  signIn,
  type Params,
  type TokenBody,
} from './emulator.test-harness.js';

const DAY_SECONDS = 86_400;
const DRIVE = 'https://www.googleapis.com/auth/drive.readonly';
const TESTING_CLIENT = {
  client_id: 'testing-app.apps.googleusercontent.com',
  client_secret: 'GOCSPX-testing',
  redirect_uris: ['http://localhost:3000/auth/google/callback'],
  publishing_status: 'testing',
};

describe('Testing publishing status: 7-day refresh tokens', () => {
  let app: FastifyInstance;
  afterEach(() => app.close());

  function advanceDays(days: number) {
    return postJson(app, '/__emulator/clock', { advanceSeconds: days * DAY_SECONDS });
  }

  async function signInTesting(params: Params): Promise<TokenBody> {
    const callback = await obtainCode(app, { client_id: TESTING_CLIENT.client_id, ...params });
    const response = await exchangeCode(app, String(callback.get('code')), {
      client_id: TESTING_CLIENT.client_id,
      client_secret: TESTING_CLIENT.client_secret,
    });
    expect(response.statusCode).toBe(200);
    return response.json<TokenBody>();
  }

  function refreshTesting(refreshToken: string) {
    return refresh(app, refreshToken, {
      client_id: TESTING_CLIENT.client_id,
      client_secret: TESTING_CLIENT.client_secret,
    });
  }

  it('expires the refresh token and the consent 7 days after issue', async () => {
    app = await buildEmulator();
    const registered = await postJson(app, '/__emulator/clients', TESTING_CLIENT);
    expect(registered.statusCode).toBe(201);
    expect(registered.json()).toEqual({
      client_id: TESTING_CLIENT.client_id,
      redirect_uris: TESTING_CLIENT.redirect_uris,
      publishing_status: 'testing',
    });
    const tokens = await signInTesting({ scope: `openid email ${DRIVE}`, access_type: 'offline' });
    // what Google adds for Testing apps, last in the body
    expect(Object.keys(tokens).at(-1)).toBe('refresh_token_expires_in');
    expect((tokens as unknown as Record<string, unknown>).refresh_token_expires_in).toBe(604_799);
    await advanceDays(6);
    expect((await refreshTesting(String(tokens.refresh_token))).statusCode).toBe(200);
    await advanceDays(1);
    assertTokenError(
      await refreshTesting(String(tokens.refresh_token)),
      400,
      'invalid_grant',
      'Token has been expired or revoked.',
    );
    // the consent expired with it: the next offline sign-in mints a new refresh token
    const again = await signInTesting({ scope: `openid email ${DRIVE}`, access_type: 'offline' });
    expect(again.refresh_token).toBeTruthy();
    expect((await refreshTesting(String(again.refresh_token))).statusCode).toBe(200);
  });

  it('does not expire a refresh token that only covers basic profile scopes', async () => {
    app = await buildEmulator({ clients: [{ ...CLIENT, publishingStatus: 'testing' }] });
    const tokens = await signIn(app, { access_type: 'offline' });
    expect(tokens.scope).toBe(OPENID_EMAIL_PROFILE);
    expect('refresh_token_expires_in' in tokens).toBe(false);
    await advanceDays(30);
    expect((await refresh(app, String(tokens.refresh_token))).statusCode).toBe(200);
  });

  it('takes the status from the plugin option and never expires a production client’s', async () => {
    app = await buildEmulator({ clients: [{ ...CLIENT, publishingStatus: 'testing' }] });
    const testing = await signIn(app, { scope: `openid ${DRIVE}`, access_type: 'offline' });
    expect((testing as unknown as Record<string, unknown>).refresh_token_expires_in).toBe(604_799);
    await postJson(app, '/__emulator/clients', {
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      redirect_uris: CLIENT.redirectUris,
      publishing_status: 'production',
    });
    const production = await signIn(app, {
      scope: `openid ${DRIVE}`,
      access_type: 'offline',
      prompt: 'consent',
    });
    expect('refresh_token_expires_in' in production).toBe(false);
    await advanceDays(8);
    expect((await refresh(app, String(production.refresh_token))).statusCode).toBe(200);
    expect((await refresh(app, String(testing.refresh_token))).statusCode).toBe(400);
  });

  it('refuses an unknown publishing status', async () => {
    app = await buildEmulator();
    const response = await postJson(app, '/__emulator/clients', {
      ...TESTING_CLIENT,
      publishing_status: 'beta',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: string }>().error).toMatch(/^publishing_status: /);
  });
});
