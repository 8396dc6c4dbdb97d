import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
} from './spec-harness.spec.js';

const REALM = 'Bearer realm="https://accounts.google.com/"';

describe('userinfo', () => {
  let app: FastifyInstance;
  let tokens: TokenBody;
  before(async () => {
    app = await buildEmulator();
    tokens = await signIn(app);
  });
  after(() => app.close());

  const bearer = () => ({ authorization: `Bearer ${tokens.access_token}` });

  it('answers the OIDC shape on /v1/userinfo and /oauth2/v3/userinfo', async () => {
    for (const path of ['/v1/userinfo', '/oauth2/v3/userinfo']) {
      const response = await getJson(app, path, bearer());
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), {
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
      assert.deepEqual(response.json(), {
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
    assert.equal(response.json<{ sub: string }>().sub, ADA_SUB);
  });

  it('leaves out email without the email scope', async () => {
    const profileOnly = await signIn(app, { scope: 'profile' });
    const response = await getJson(app, '/v1/userinfo', {
      authorization: `Bearer ${profileOnly.access_token}`,
    });
    assert.equal(response.json<{ email?: string }>().email, undefined);
  });

  it('answers 401 with Google’s two error formats', async () => {
    const oidc = await getJson(app, '/oauth2/v3/userinfo', { authorization: 'Bearer ya29.bogus' });
    assert.equal(oidc.statusCode, 401);
    assert.deepEqual(oidc.json(), {
      error: 'invalid_request',
      error_description: 'Invalid Credentials',
    });
    assert.equal(oidc.headers['www-authenticate'], `${REALM}, error="invalid_token"`);
    const legacy = await getJson(app, '/oauth2/v2/userinfo');
    assert.equal(legacy.statusCode, 401);
    const body = legacy.json<{ error: { code: number; message: string; status: string } }>();
    assert.equal(body.error.code, 401);
    assert.equal(body.error.status, 'UNAUTHENTICATED');
    assert.match(body.error.message, /^Request is missing required authentication credential/);
    assert.equal(legacy.headers['www-authenticate'], REALM);
  });

  it('refuses an expired access token', async () => {
    const fresh = await signIn(app);
    await postJson(app, '/__emulator/clock', { advanceSeconds: 3600 });
    const response = await getJson(app, '/v1/userinfo', {
      authorization: `Bearer ${fresh.access_token}`,
    });
    assert.equal(response.statusCode, 401);
  });
});

describe('tokeninfo', () => {
  let app: FastifyInstance;
  let tokens: TokenBody;
  before(async () => {
    app = await buildEmulator({ accessTokenTtlSeconds: 4 });
    tokens = await signIn(app, { access_type: 'offline' });
  });
  after(() => app.close());

  it('answers string-valued fields', async () => {
    const response = await getJson(app, `/tokeninfo?access_token=${tokens.access_token}`);
    assert.equal(response.statusCode, 200);
    const info = response.json<Record<string, unknown>>();
    for (const value of Object.values(info)) assert.equal(typeof value, 'string');
    assert.equal(info.azp, CLIENT.clientId);
    assert.equal(info.aud, CLIENT.clientId);
    assert.equal(info.sub, ADA_SUB);
    assert.equal(info.scope, tokens.scope);
    assert.match(String(info.exp), /^\d{10}$/);
    assert.ok(['3', '4'].includes(String(info.expires_in)));
    assert.equal(info.email, 'ada@example.com');
    assert.equal(info.email_verified, 'true');
    assert.equal(info.access_type, 'offline');
  });

  it('takes the token from a form body or a Bearer header (POST, as google-auth-library)', async () => {
    const viaForm = await postForm(app, '/oauth2/v3/tokeninfo', {
      access_token: tokens.access_token,
    });
    assert.equal(viaForm.json<{ sub: string }>().sub, ADA_SUB);
    const viaBearer = await app.inject({
      method: 'POST',
      url: `${BASE}/tokeninfo`,
      headers: {
        'content-type': `${FORM};charset=UTF-8`,
        authorization: `Bearer ${tokens.access_token}`,
      },
    });
    assert.equal(viaBearer.statusCode, 200, viaBearer.body);
  });

  it('answers the legacy shape on v1/v2', async () => {
    const response = await getJson(app, `/oauth2/v2/tokeninfo?access_token=${tokens.access_token}`);
    const info = response.json<Record<string, unknown>>();
    assert.equal(info.issued_to, CLIENT.clientId);
    assert.equal(info.user_id, ADA_SUB);
    assert.equal(typeof info.expires_in, 'number');
    assert.equal(info.verified_email, true);
  });

  it('describes an ID token with stringified claims and header fields', async () => {
    const response = await getJson(app, `/tokeninfo?id_token=${tokens.id_token}`);
    const info = response.json<Record<string, unknown>>();
    assert.equal(info.iss, ISSUER);
    assert.equal(info.email_verified, 'true');
    assert.match(String(info.iat), /^\d+$/);
    assert.equal(info.alg, 'RS256');
    assert.equal(info.typ, 'JWT');
    assert.match(String(info.kid), /^[0-9a-f]{40}$/);
  });

  it('answers 400 invalid_token for an unknown or expired token', async () => {
    const unknown = await getJson(app, '/tokeninfo?access_token=ya29.nope');
    assert.equal(unknown.statusCode, 400);
    assert.deepEqual(unknown.json(), {
      error: 'invalid_token',
      error_description: 'Invalid Value',
    });
    await postJson(app, '/__emulator/clock', { advanceSeconds: 5 });
    const expired = await getJson(app, `/tokeninfo?access_token=${tokens.access_token}`);
    assert.equal(expired.statusCode, 400);
  });
});

describe('revoke', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildEmulator();
  });
  after(() => app.close());

  it('revokes the whole grant from an access token', async () => {
    const tokens = await signIn(app, { access_type: 'offline', prompt: 'consent' });
    const response = await postForm(app, '/revoke', { token: tokens.access_token });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), {});
    const refreshed = await refresh(app, String(tokens.refresh_token));
    assert.equal(refreshed.json<{ error: string }>().error, 'invalid_grant');
    const userinfo = await getJson(app, '/v1/userinfo', {
      authorization: `Bearer ${tokens.access_token}`,
    });
    assert.equal(userinfo.statusCode, 401);
  });

  it('revokes from a refresh token in the query string, and the old path works', async () => {
    const tokens = await signIn(app, { access_type: 'offline', prompt: 'consent' });
    const response = await app.inject({
      method: 'POST',
      url: `${BASE}/o/oauth2/revoke?token=${encodeURIComponent(String(tokens.refresh_token))}`,
    });
    assert.equal(response.statusCode, 200);
    const info = await getJson(app, `/tokeninfo?access_token=${tokens.access_token}`);
    assert.equal(info.statusCode, 400);
  });

  it('answers 400 invalid_token for an unknown or already revoked token', async () => {
    const tokens = await signIn(app);
    assert.equal((await postForm(app, '/revoke', { token: tokens.access_token })).statusCode, 200);
    const again = await postForm(app, '/revoke', { token: tokens.access_token });
    assert.equal(again.statusCode, 400);
    assert.deepEqual(again.json(), {
      error: 'invalid_token',
      error_description: 'Token expired or revoked',
    });
  });

  it('answers GET /revoke with an HTML 404', async () => {
    const response = await getJson(app, '/revoke?token=x');
    assert.equal(response.statusCode, 404);
    assert.match(String(response.headers['content-type']), /^text\/html/);
  });
});

describe('discovery and keys', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildEmulator();
  });
  after(() => app.close());

  it('names the issuer and endpoints below it', async () => {
    const doc = (await getJson(app, '/.well-known/openid-configuration')).json<
      Record<string, unknown>
    >();
    assert.equal(doc.issuer, ISSUER);
    assert.equal(doc.authorization_endpoint, `${ISSUER}/o/oauth2/v2/auth`);
    assert.equal(doc.token_endpoint, `${ISSUER}/token`);
    assert.equal(doc.userinfo_endpoint, `${ISSUER}/v1/userinfo`);
    assert.equal(doc.revocation_endpoint, `${ISSUER}/revoke`);
    assert.equal(doc.jwks_uri, `${ISSUER}/oauth2/v3/certs`);
    assert.deepEqual(doc.code_challenge_methods_supported, ['plain', 'S256']);
  });

  it('publishes JWKs and PEM certificates with Google’s cache headers', async () => {
    const jwks = await getJson(app, '/oauth2/v3/certs');
    assert.match(
      String(jwks.headers['cache-control']),
      /^public, max-age=\d+, must-revalidate, no-transform$/,
    );
    const { keys } = jwks.json<{
      keys: { kid: string; alg: string; kty: string; use: string }[];
    }>();
    assert.equal(keys.length, 2);
    for (const key of keys) {
      assert.match(key.kid, /^[0-9a-f]{40}$/);
      assert.deepEqual([key.kty, key.alg, key.use], ['RSA', 'RS256', 'sig']);
    }
    assert.deepEqual((await getJson(app, '/oauth2/v2/certs')).json(), jwks.json());
    const pems = (await getJson(app, '/oauth2/v1/certs')).json<Record<string, string>>();
    assert.deepEqual(
      Object.keys(pems),
      keys.map((key) => key.kid),
    );
    for (const pem of Object.values(pems)) assert.match(pem, /^-----BEGIN CERTIFICATE-----\n/);
  });
});
