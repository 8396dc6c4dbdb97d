import { createHash, createVerify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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
} from './emulator.test-harness.js';

describe('ID tokens', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
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
  afterAll(() => app.close());

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
    expect(protectedHeader.alg).toBe('RS256');
    expect(protectedHeader.typ).toBe('JWT');
    expect(String(protectedHeader.kid)).toMatch(/^[0-9a-f]{40}$/);
    const expectedHash = createHash('sha256')
      .update(tokens.access_token)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
    expect(payload.at_hash).toBe(expectedHash);
    expect(payload.nonce).toBe('nonce-42');
    expect(payload.azp).toBe(CLIENT.clientId);
    expect(payload.sub).toBe('100000000000000000001');
    expect(payload.email).toBe('grace@corp.example');
    expect(payload.email_verified).toBe(true);
    expect(payload.hd).toBe('corp.example');
    expect(payload.name).toBe('Grace Hopper');
    expect(payload.given_name).toBe('Grace');
    expect(payload.family_name).toBe('Hopper');
    expect(payload.picture).toBe('https://example.com/grace.png');
    expect(Number(payload.exp) - Number(payload.iat)).toBe(3600);
  });

  it('leaves out profile and email claims that were not granted', async () => {
    const tokens = await signIn(app, { scope: 'openid' });
    const { payload } = await jwtVerify(String(tokens.id_token), createLocalJWKSet(await jwks()));
    expect(payload.email).toBe(undefined);
    expect(payload.name).toBe(undefined);
    expect(payload.nonce).toBe(undefined);
  });

  it('verifies against the v1 PEM certificate of its kid', async () => {
    const tokens = await signIn(app);
    const idToken = String(tokens.id_token);
    const { kid } = decodeProtectedHeader(idToken);
    const pems = (await getJson(app, '/oauth2/v1/certs')).json<Record<string, string>>();
    const [header, payload, signature] = idToken.split('.');
    const verifier = createVerify('RSA-SHA256').update(`${header}.${payload}`);
    expect(verifier.verify(pems[String(kid)], Buffer.from(signature, 'base64url'))).toBeTruthy();
  });

  it('rotates: new tokens use the new key, the previous key stays published', async () => {
    const before = decodeProtectedHeader(String((await signIn(app)).id_token)).kid;
    const rotation = await postJson(app, '/__emulator/keys/rotate', {});
    expect(rotation.statusCode).toBe(201);
    const { kid } = rotation.json<{ kid: string }>();
    const after = decodeProtectedHeader(String((await signIn(app)).id_token)).kid;
    expect(after).toBe(kid);
    const published = (await jwks()).keys.map((key) => key.kid);
    expect(published).toEqual([kid, before]);
  });

  it('uses the default users when none are configured', async () => {
    const defaults = await buildEmulator();
    try {
      const tokens = await signIn(defaults);
      const { payload } = await jwtVerify(
        String(tokens.id_token),
        createLocalJWKSet((await getJson(defaults, '/oauth2/v3/certs')).json<JSONWebKeySet>()),
      );
      expect(payload.sub).toBe(ADA_SUB);
      expect(payload.hd).toBe(undefined);
    } finally {
      await defaults.close();
    }
  });
});
