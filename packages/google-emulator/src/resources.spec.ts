import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import {
  ADA_SUB,
  BASE,
  CLIENT,
  FORM,
  ISSUER,
  buildEmulator,
  getJson,
  postForm,
  postJson,
  refresh,
  signIn,
  type TokenBody,
} from './emulator.test-harness.js';

const REALM = 'Bearer realm="https://accounts.google.com/"';

describe('userinfo', () => {
  let app: FastifyInstance;
  let tokens: TokenBody;
  beforeAll(async () => {
    app = await buildEmulator();
    tokens = await signIn(app);
  });
  afterAll(() => app.close());

  const bearer = () => ({ authorization: `Bearer ${tokens.access_token}` });

  it('answers the OIDC shape on /v1/userinfo and /oauth2/v3/userinfo', async () => {
    for (const path of ['/v1/userinfo', '/oauth2/v3/userinfo']) {
      const response = await getJson(app, path, bearer());
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        sub: ADA_SUB,
        name: 'Ada Lovelace',
        given_name: 'Ada',
        family_name: 'Lovelace',
        email: 'ada@example.com',
        email_verified: true,
      });
    }
  });

  it('answers the legacy shape on the v1/v2 paths', async () => {
    for (const path of ['/oauth2/v2/userinfo', '/oauth2/v1/userinfo', '/userinfo/v2/me']) {
      const response = await getJson(app, path, bearer());
      expect(response.json()).toEqual({
        id: ADA_SUB,
        email: 'ada@example.com',
        verified_email: true,
        name: 'Ada Lovelace',
        given_name: 'Ada',
        family_name: 'Lovelace',
      });
    }
  });

  it('takes the token from ?access_token= as passport sends it', async () => {
    const response = await getJson(app, `/oauth2/v3/userinfo?access_token=${tokens.access_token}`);
    expect(response.json<{ sub: string }>().sub).toBe(ADA_SUB);
  });

  it('leaves out email without the email scope', async () => {
    const profileOnly = await signIn(app, { scope: 'profile' });
    const response = await getJson(app, '/v1/userinfo', {
      authorization: `Bearer ${profileOnly.access_token}`,
    });
    expect(response.json<{ email?: string }>().email).toBe(undefined);
  });

  it('answers 401 with Google’s two error formats', async () => {
    const oidc = await getJson(app, '/oauth2/v3/userinfo', { authorization: 'Bearer ya29.bogus' });
    expect(oidc.statusCode).toBe(401);
    expect(oidc.json()).toEqual({
      error: 'invalid_request',
      error_description: 'Invalid Credentials',
    });
    expect(oidc.headers['www-authenticate']).toBe(`${REALM}, error="invalid_token"`);
    const legacy = await getJson(app, '/oauth2/v2/userinfo');
    expect(legacy.statusCode).toBe(401);
    const body = legacy.json<{ error: { code: number; message: string; status: string } }>();
    expect(body.error.code).toBe(401);
    expect(body.error.status).toBe('UNAUTHENTICATED');
    expect(body.error.message).toMatch(/^Request is missing required authentication credential/);
    expect(legacy.headers['www-authenticate']).toBe(REALM);
  });

  it('refuses an expired access token', async () => {
    const fresh = await signIn(app);
    await postJson(app, '/__emulator/clock', { advanceSeconds: 3600 });
    const response = await getJson(app, '/v1/userinfo', {
      authorization: `Bearer ${fresh.access_token}`,
    });
    expect(response.statusCode).toBe(401);
  });
});

describe('tokeninfo', () => {
  let app: FastifyInstance;
  let tokens: TokenBody;
  beforeAll(async () => {
    app = await buildEmulator({ accessTokenTtlSeconds: 4 });
    tokens = await signIn(app, { access_type: 'offline' });
  });
  afterAll(() => app.close());

  it('answers string-valued fields', async () => {
    const response = await getJson(app, `/tokeninfo?access_token=${tokens.access_token}`);
    expect(response.statusCode).toBe(200);
    const info = response.json<Record<string, unknown>>();
    for (const value of Object.values(info)) expect(typeof value).toBe('string');
    expect(info.azp).toBe(CLIENT.clientId);
    expect(info.aud).toBe(CLIENT.clientId);
    expect(info.sub).toBe(ADA_SUB);
    expect(info.scope).toBe(tokens.scope);
    expect(String(info.exp)).toMatch(/^\d{10}$/);
    expect(['3', '4'].includes(String(info.expires_in))).toBeTruthy();
    expect(info.email).toBe('ada@example.com');
    expect(info.email_verified).toBe('true');
    expect(info.access_type).toBe('offline');
  });

  it('takes the token from a form body or a Bearer header (POST, as google-auth-library)', async () => {
    const viaForm = await postForm(app, '/oauth2/v3/tokeninfo', {
      access_token: tokens.access_token,
    });
    expect(viaForm.json<{ sub: string }>().sub).toBe(ADA_SUB);
    const viaBearer = await app.inject({
      method: 'POST',
      url: `${BASE}/tokeninfo`,
      headers: {
        'content-type': `${FORM};charset=UTF-8`,
        authorization: `Bearer ${tokens.access_token}`,
      },
    });
    expect(viaBearer.statusCode).toBe(200);
  });

  it('answers the legacy shape on v1/v2', async () => {
    const response = await getJson(app, `/oauth2/v2/tokeninfo?access_token=${tokens.access_token}`);
    const info = response.json<Record<string, unknown>>();
    expect(info.issued_to).toBe(CLIENT.clientId);
    expect(info.user_id).toBe(ADA_SUB);
    expect(typeof info.expires_in).toBe('number');
    expect(info.verified_email).toBe(true);
  });

  it('describes an ID token with stringified claims and header fields', async () => {
    const response = await getJson(app, `/tokeninfo?id_token=${tokens.id_token}`);
    const info = response.json<Record<string, unknown>>();
    expect(info.iss).toBe(ISSUER);
    expect(info.email_verified).toBe('true');
    expect(String(info.iat)).toMatch(/^\d+$/);
    expect(info.alg).toBe('RS256');
    expect(info.typ).toBe('JWT');
    expect(String(info.kid)).toMatch(/^[0-9a-f]{40}$/);
  });

  it('answers 400 invalid_token for an unknown or expired token', async () => {
    const unknown = await getJson(app, '/tokeninfo?access_token=ya29.nope');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toEqual({
      error: 'invalid_token',
      error_description: 'Invalid Value',
    });
    await postJson(app, '/__emulator/clock', { advanceSeconds: 5 });
    const expired = await getJson(app, `/tokeninfo?access_token=${tokens.access_token}`);
    expect(expired.statusCode).toBe(400);
  });
});

describe('revoke', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildEmulator();
  });
  afterAll(() => app.close());

  it('revokes the whole grant from an access token', async () => {
    const tokens = await signIn(app, { access_type: 'offline', prompt: 'consent' });
    const response = await postForm(app, '/revoke', { token: tokens.access_token });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({});
    const refreshed = await refresh(app, String(tokens.refresh_token));
    expect(refreshed.json<{ error: string }>().error).toBe('invalid_grant');
    const userinfo = await getJson(app, '/v1/userinfo', {
      authorization: `Bearer ${tokens.access_token}`,
    });
    expect(userinfo.statusCode).toBe(401);
  });

  it('revokes from a refresh token in the query string, and the old path works', async () => {
    const tokens = await signIn(app, { access_type: 'offline', prompt: 'consent' });
    const response = await app.inject({
      method: 'POST',
      url: `${BASE}/o/oauth2/revoke?token=${encodeURIComponent(String(tokens.refresh_token))}`,
    });
    expect(response.statusCode).toBe(200);
    const info = await getJson(app, `/tokeninfo?access_token=${tokens.access_token}`);
    expect(info.statusCode).toBe(400);
  });

  it('answers 400 invalid_token for an unknown or already revoked token', async () => {
    const tokens = await signIn(app);
    expect((await postForm(app, '/revoke', { token: tokens.access_token })).statusCode).toBe(200);
    const again = await postForm(app, '/revoke', { token: tokens.access_token });
    expect(again.statusCode).toBe(400);
    expect(again.json()).toEqual({
      error: 'invalid_token',
      error_description: 'Token expired or revoked',
    });
  });

  it('answers GET /revoke with an HTML 404', async () => {
    const response = await getJson(app, '/revoke?token=x');
    expect(response.statusCode).toBe(404);
    expect(String(response.headers['content-type'])).toMatch(/^text\/html/);
  });
});

describe('discovery and keys', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildEmulator();
  });
  afterAll(() => app.close());

  it('names the issuer and endpoints below it', async () => {
    const doc = (await getJson(app, '/.well-known/openid-configuration')).json<
      Record<string, unknown>
    >();
    expect(doc.issuer).toBe(ISSUER);
    expect(doc.authorization_endpoint).toBe(`${ISSUER}/o/oauth2/v2/auth`);
    expect(doc.token_endpoint).toBe(`${ISSUER}/token`);
    expect(doc.userinfo_endpoint).toBe(`${ISSUER}/v1/userinfo`);
    expect(doc.revocation_endpoint).toBe(`${ISSUER}/revoke`);
    expect(doc.jwks_uri).toBe(`${ISSUER}/oauth2/v3/certs`);
    expect(doc.code_challenge_methods_supported).toEqual(['plain', 'S256']);
  });

  it('publishes JWKs and PEM certificates with Google’s cache headers', async () => {
    const jwks = await getJson(app, '/oauth2/v3/certs');
    expect(String(jwks.headers['cache-control'])).toMatch(
      /^public, max-age=\d+, must-revalidate, no-transform$/,
    );
    const { keys } = jwks.json<{
      keys: { kid: string; alg: string; kty: string; use: string }[];
    }>();
    expect(keys.length).toBe(2);
    for (const key of keys) {
      expect(key.kid).toMatch(/^[0-9a-f]{40}$/);
      expect([key.kty, key.alg, key.use]).toEqual(['RSA', 'RS256', 'sig']);
    }
    expect((await getJson(app, '/oauth2/v2/certs')).json()).toEqual(jwks.json());
    const pems = (await getJson(app, '/oauth2/v1/certs')).json<Record<string, string>>();
    expect(Object.keys(pems)).toEqual(keys.map((key) => key.kid));
    for (const pem of Object.values(pems)) expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
  });
});
