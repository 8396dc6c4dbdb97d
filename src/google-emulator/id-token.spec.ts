import assert from 'node:assert/strict';
import { createHash, createVerify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import {
  ADA_SUB,
  CLIENT,
  ISSUER,
  buildEmulator,
  getJson,
  postJson,
  signIn,
} from './spec-harness.spec.js';

describe('ID tokens', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildEmulator({
      users: [
        {
          sub: '100000000000000000001',
          email: 'grace@corp.example',
          name: 'Grace Hopper',
          givenName: 'Grace',
          familyName: 'Hopper',
          picture: 'https://example.com/grace.png',
          hd: 'corp.example',
        },
      ],
    });
  });
  after(() => app.close());

  async function jwks(): Promise<JSONWebKeySet> {
    return (await getJson(app, '/oauth2/v3/certs')).json<JSONWebKeySet>();
  }

  it('verifies against the v3 JWKS and carries Google’s claims, at_hash and nonce', async () => {
    const tokens = await signIn(app, { nonce: 'nonce-42' });
    const { payload, protectedHeader } = await jwtVerify(
      String(tokens.id_token),
      createLocalJWKSet(await jwks()),
      { issuer: ISSUER, audience: CLIENT.clientId },
    );
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(protectedHeader.typ, 'JWT');
    assert.match(String(protectedHeader.kid), /^[0-9a-f]{40}$/);
    const expectedHash = createHash('sha256')
      .update(tokens.access_token)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
    assert.equal(payload.at_hash, expectedHash);
    assert.equal(payload.nonce, 'nonce-42');
    assert.equal(payload.azp, CLIENT.clientId);
    assert.equal(payload.sub, '100000000000000000001');
    assert.equal(payload.email, 'grace@corp.example');
    assert.equal(payload.email_verified, true);
    assert.equal(payload.hd, 'corp.example');
    assert.equal(payload.name, 'Grace Hopper');
    assert.equal(payload.given_name, 'Grace');
    assert.equal(payload.family_name, 'Hopper');
    assert.equal(payload.picture, 'https://example.com/grace.png');
    assert.equal(Number(payload.exp) - Number(payload.iat), 3600);
  });

  it('leaves out profile and email claims that were not granted', async () => {
    const tokens = await signIn(app, { scope: 'openid' });
    const { payload } = await jwtVerify(String(tokens.id_token), createLocalJWKSet(await jwks()));
    assert.equal(payload.email, undefined);
    assert.equal(payload.name, undefined);
    assert.equal(payload.nonce, undefined);
  });

  it('verifies against the v1 PEM certificate of its kid', async () => {
    const tokens = await signIn(app);
    const idToken = String(tokens.id_token);
    const { kid } = decodeProtectedHeader(idToken);
    const pems = (await getJson(app, '/oauth2/v1/certs')).json<Record<string, string>>();
    const [header, payload, signature] = idToken.split('.');
    const verifier = createVerify('RSA-SHA256').update(`${header}.${payload}`);
    assert.ok(verifier.verify(pems[String(kid)], Buffer.from(signature, 'base64url')));
  });

  it('rotates: new tokens use the new key, the previous key stays published', async () => {
    const before = decodeProtectedHeader(String((await signIn(app)).id_token)).kid;
    const rotation = await postJson(app, '/__emulator/keys/rotate', {});
    assert.equal(rotation.statusCode, 201);
    const { kid } = rotation.json<{ kid: string }>();
    const after = decodeProtectedHeader(String((await signIn(app)).id_token)).kid;
    assert.equal(after, kid);
    const published = (await jwks()).keys.map((key) => key.kid);
    assert.deepEqual(published, [kid, before]);
  });

  it('uses the default users when none are configured', async () => {
    const defaults = await buildEmulator();
    try {
      const tokens = await signIn(defaults);
      const { payload } = await jwtVerify(
        String(tokens.id_token),
        createLocalJWKSet((await getJson(defaults, '/oauth2/v3/certs')).json<JSONWebKeySet>()),
      );
      assert.equal(payload.sub, ADA_SUB);
      assert.equal(payload.hd, undefined);
    } finally {
      await defaults.close();
    }
  });
});
