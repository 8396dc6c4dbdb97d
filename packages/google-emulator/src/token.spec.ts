import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import {
  BASE,
  CLIENT,
  FORM,
  OTHER_CLIENT,
  REDIRECT_URI,
  assertTokenError,
  OPENID_EMAIL_PROFILE,
  buildEmulator,
  exchangeCode,
  obtainCode,
  postForm,
  postJson,
  refresh,
  signIn,
  type TokenBody,
} from './emulator.test-harness.js';

describe('token endpoint: authorization_code grant', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildEmulator({ accessTokenTtlSeconds: 5 });
  });
  afterAll(() => app.close());

  it('answers Google’s success body and no-cache headers', async () => {
    const callback = await obtainCode(app, { access_type: 'offline' });
    const response = await exchangeCode(app, String(callback.get('code')));
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['cache-control']).toBe(
      'no-cache, no-store, max-age=0, must-revalidate',
    );
    expect(response.headers.pragma).toBe('no-cache');
    const body = response.json<TokenBody>();
    expect(Object.keys(body)).toEqual([
      'access_token',
      'expires_in',
      'refresh_token',
      'scope',
      'token_type',
      'id_token',
    ]);
    expect(body.access_token).toMatch(/^ya29\./);
    expect(String(body.refresh_token)).toMatch(/^1\/\/0/);
    expect(body.expires_in).toBe(5);
    expect(body.scope).toBe(OPENID_EMAIL_PROFILE);
    expect(body.token_type).toBe('Bearer');
  });

  it('adds openid when only email was asked, and no id_token without identity scopes', async () => {
    const email = await signIn(app, { scope: 'email' });
    expect(email.scope).toBe('https://www.googleapis.com/auth/userinfo.email openid');
    expect(email.id_token).toBeTruthy();
    const drive = await signIn(app, { scope: 'https://www.googleapis.com/auth/drive.file' });
    expect(drive.scope).toBe('https://www.googleapis.com/auth/drive.file');
    expect(drive.id_token).toBe(undefined);
  });

  it('accepts client_secret_basic, query-string parameters and a charset suffix', async () => {
    const basic = Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64');
    const first = await obtainCode(app);
    const viaBasic = await postForm(
      app,
      '/token',
      {
        grant_type: 'authorization_code',
        code: String(first.get('code')),
        redirect_uri: REDIRECT_URI,
      },
      { authorization: `Basic ${basic}` },
    );
    expect(viaBasic.statusCode).toBe(200);
    const second = await obtainCode(app);
    const query = new URLSearchParams({
      grant_type: 'authorization_code',
      code: String(second.get('code')),
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    const viaQuery = await app.inject({
      method: 'POST',
      url: `${BASE}/oauth2/v4/token?${query.toString()}`,
      headers: { 'content-type': `${FORM};charset=UTF-8` },
      payload: '',
    });
    expect(viaQuery.statusCode).toBe(200);
  });

  it('treats empty parameters as absent (an empty code_verifier on a non-PKCE code)', async () => {
    const callback = await obtainCode(app);
    const response = await exchangeCode(app, String(callback.get('code')), { code_verifier: '' });
    expect(response.statusCode).toBe(200);
  });

  it('answers every client authentication error', async () => {
    const code = String((await obtainCode(app)).get('code'));
    assertTokenError(
      await exchangeCode(app, code, { client_secret: 'wrong' }),
      401,
      'invalid_client',
      'Unauthorized',
    );
    assertTokenError(
      await exchangeCode(app, code, { client_id: 'nobody' }),
      401,
      'invalid_client',
      'The OAuth client was not found.',
    );
    assertTokenError(
      await exchangeCode(app, code, { client_secret: '' }),
      400,
      'invalid_request',
      'client_secret is missing.',
    );
    assertTokenError(
      await exchangeCode(app, code, { client_id: '' }),
      400,
      'invalid_request',
      'Could not determine client ID from request.',
    );
    const basic = Buffer.from(`${CLIENT.clientId}:nope`).toString('base64');
    const wrongBasic = await postForm(
      app,
      '/token',
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
      { authorization: `Basic ${basic}` },
    );
    assertTokenError(wrongBasic, 401, 'invalid_client', 'Unauthorized');
  });

  it('answers the request errors', async () => {
    assertTokenError(
      await exchangeCode(app, ''),
      400,
      'invalid_request',
      'Missing required parameter: code',
    );
    assertTokenError(
      await exchangeCode(app, 'x', { grant_type: 'password' }),
      400,
      'unsupported_grant_type',
      'Invalid grant_type: password',
    );
    assertTokenError(
      await exchangeCode(app, 'x', { grant_type: '' }),
      400,
      'unsupported_grant_type',
      'Invalid grant_type: ',
    );
  });

  it('answers the code errors', async () => {
    const code = String((await obtainCode(app)).get('code'));
    assertTokenError(
      await exchangeCode(app, encodeURIComponent(code)),
      400,
      'invalid_grant',
      'Malformed auth code.',
    );
    assertTokenError(await exchangeCode(app, '4/0Aunknown'), 400, 'invalid_grant', 'Bad Request');
    assertTokenError(
      await exchangeCode(app, code, {
        client_id: OTHER_CLIENT.clientId,
        client_secret: OTHER_CLIENT.clientSecret,
      }),
      400,
      'invalid_grant',
      'Bad Request',
    );
    assertTokenError(
      await exchangeCode(app, code, { redirect_uri: `${REDIRECT_URI}/` }),
      400,
      'redirect_uri_mismatch',
      'Bad Request',
    );
  });

  it('expires codes after codeTtlSeconds', async () => {
    const code = String((await obtainCode(app)).get('code'));
    await postJson(app, '/__emulator/clock', { advanceSeconds: 61 });
    assertTokenError(await exchangeCode(app, code), 400, 'invalid_grant', 'Bad Request');
  });

  it('refuses a code whose grant was revoked before the exchange', async () => {
    const code = String((await obtainCode(app)).get('code'));
    await postJson(app, '/__emulator/revoke', { email: 'ada@example.com' });
    assertTokenError(await exchangeCode(app, code), 400, 'invalid_grant', 'Bad Request');
  });

  it('keeps codes single use, and a replay revokes what the code produced', async () => {
    const code = String(
      (await obtainCode(app, { access_type: 'offline', prompt: 'consent' })).get('code'),
    );
    const tokens = (await exchangeCode(app, code)).json<TokenBody>();
    expect((await refresh(app, String(tokens.refresh_token))).statusCode).toBe(200);
    assertTokenError(await exchangeCode(app, code), 400, 'invalid_grant', 'Bad Request');
    assertTokenError(
      await refresh(app, String(tokens.refresh_token)),
      400,
      'invalid_grant',
      'Token has been expired or revoked.',
    );
    const userinfo = await app.inject({
      url: `${BASE}/oauth2/v3/userinfo`,
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.statusCode).toBe(401);
  });
});
