import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import {
  ADA_SUB,
  ALAN_SUB,
  BASE,
  OTHER_CLIENT,
  authorize,
  buildEmulator,
  callbackOf,
  exchangeCode,
  getJson,
  obtainCode,
  postJson,
  refresh,
  signIn,
} from './emulator.test-harness.js';

/** Google's answer when a Workspace session-control policy wants the user to sign in again. */
const INVALID_RAPT = {
  error: 'invalid_grant',
  error_description: 'reauth related error (invalid_rapt)',
  error_uri: 'https://support.google.com/a/answer/9368756',
  error_subtype: 'invalid_rapt',
};

function expectInvalidRapt(response: LightMyRequestResponse): void {
  expect(response.statusCode).toBe(400);
  expect(response.json()).toEqual(INVALID_RAPT);
}

async function signInOther(app: FastifyInstance, sub: string): Promise<string> {
  const callback = await obtainCode(
    app,
    { client_id: OTHER_CLIENT.clientId, access_type: 'offline', login_hint: sub },
    sub,
  );
  const tokens = await exchangeCode(app, String(callback.get('code')), {
    client_id: OTHER_CLIENT.clientId,
    client_secret: OTHER_CLIENT.clientSecret,
  });
  return tokens.json<{ refresh_token: string }>().refresh_token;
}

function refreshOther(app: FastifyInstance, refreshToken: string) {
  return refresh(app, refreshToken, {
    client_id: OTHER_CLIENT.clientId,
    client_secret: OTHER_CLIENT.clientSecret,
  });
}

describe('reauthentication policy (invalid_rapt)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildEmulator();
  });
  afterAll(() => app.close());

  it('refuses refreshes with invalid_rapt until the user signs in again, without revoking', async () => {
    const ada = await signIn(app, { access_type: 'offline', login_hint: ADA_SUB });
    const alan = await signIn(app, { access_type: 'offline', login_hint: ALAN_SUB });
    const set = await postJson(app, '/__emulator/reauth-policy', { email: 'ada@example.com' });
    expect(set.statusCode).toBe(201);
    expect(set.json()).toEqual({ sub: ADA_SUB, client_id: null, session_length_seconds: null });
    expectInvalidRapt(await refresh(app, String(ada.refresh_token)));
    // the access token already issued still works; other users are not concerned
    const userinfo = await getJson(app, '/v1/userinfo', {
      authorization: `Bearer ${ada.access_token}`,
    });
    expect(userinfo.statusCode).toBe(200);
    expect((await refresh(app, String(alan.refresh_token))).statusCode).toBe(200);
    // no silent way around it
    const silent = callbackOf(await authorize(app, { prompt: 'none', login_hint: ADA_SUB }));
    expect(silent.searchParams.get('error')).toBe('login_required');
    // signing in again (no new refresh token: the grant was never revoked) revives the old one
    const again = await signIn(app, { access_type: 'offline', login_hint: ADA_SUB });
    expect(again.refresh_token).toBe(undefined);
    expect((await refresh(app, String(ada.refresh_token))).statusCode).toBe(200);
  });

  it('can concern one client only', async () => {
    const mine = await signIn(app, { access_type: 'offline', prompt: 'consent' });
    const theirs = await signInOther(app, ADA_SUB);
    const set = await postJson(app, '/__emulator/reauth-policy', {
      sub: ADA_SUB,
      client_id: OTHER_CLIENT.clientId,
    });
    expect(set.statusCode).toBe(201);
    expectInvalidRapt(await refreshOther(app, theirs));
    expect((await refresh(app, String(mine.refresh_token))).statusCode).toBe(200);
  });

  it('lets a session last session_length_seconds from the last sign-in', async () => {
    await app.inject({ method: 'DELETE', url: `${BASE}/__emulator/reauth-policy` });
    const tokens = await signIn(app, { access_type: 'offline', prompt: 'consent' });
    const set = await postJson(app, '/__emulator/reauth-policy', {
      sub: ADA_SUB,
      session_length_seconds: 3600,
    });
    expect(set.json()).toEqual({ sub: ADA_SUB, client_id: null, session_length_seconds: 3600 });
    expect((await refresh(app, String(tokens.refresh_token))).statusCode).toBe(200);
    await postJson(app, '/__emulator/clock', { advanceSeconds: 3601 });
    expectInvalidRapt(await refresh(app, String(tokens.refresh_token)));
    await signIn(app, { login_hint: ADA_SUB });
    expect((await refresh(app, String(tokens.refresh_token))).statusCode).toBe(200);
  });

  it('lists and clears policies', async () => {
    const listed = await getJson(app, '/__emulator/reauth-policy');
    expect(listed.json()).toEqual({
      policies: [{ sub: ADA_SUB, client_id: null, session_length_seconds: 3600 }],
    });
    const cleared = await app.inject({ method: 'DELETE', url: `${BASE}/__emulator/reauth-policy` });
    expect(cleared.json()).toEqual({ policies: [] });
  });

  it('refuses unknown users and clients, and bad input', async () => {
    const unknownUser = await postJson(app, '/__emulator/reauth-policy', { sub: '1' });
    expect(unknownUser.statusCode).toBe(404);
    expect(unknownUser.json()).toEqual({ error: 'no such user' });
    const unknownClient = await postJson(app, '/__emulator/reauth-policy', {
      sub: ADA_SUB,
      client_id: 'nobody',
    });
    expect(unknownClient.statusCode).toBe(404);
    expect(unknownClient.json()).toEqual({ error: 'no such client' });
    const bad = [{}, { sub: ADA_SUB, session_length_seconds: 0 }, { sub: ADA_SUB, extra: true }];
    for (const body of bad) {
      const response = await postJson(app, '/__emulator/reauth-policy', body);
      expect(response.statusCode).toBe(400);
      expect(response.json<{ error: string }>().error.length).toBeGreaterThan(0);
    }
  });
});
