import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { sha256 } from '../../common/hash.js';
import { IdTokenVerifier } from './id-token.verifier.js';
import { SignInError, SignInErrorCode } from '../sign-in.error.js';

const ISSUER = 'https://accounts.google.com';
const CLIENT = 'client-123.apps.googleusercontent.com';
const NONCE = 'nonce-value-1';
const ACCESS_TOKEN = 'ya29.access';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return {
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
  };
}

function atHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
}

/** A local JWKS endpoint whose keys and availability a test controls, counting its fetches. */
class JwksServer {
  published: JWK[] = [];
  fetches = 0;
  down = false;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((_request, response) => {
      this.fetches += 1;
      if (this.down) return response.writeHead(503).end();
      response.writeHead(200, {
        'content-type': 'application/json',
        'cache-control': 'public, max-age=3600',
      });
      response.end(JSON.stringify({ keys: this.published }));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/certs`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('IdTokenVerifier', () => {
  const jwks = new JwksServer();
  let current: SigningKey;
  let foreign: SigningKey;
  let verifier: IdTokenVerifier;

  const claims = (overrides: Record<string, unknown> = {}) => ({
    iss: ISSUER,
    aud: CLIENT,
    azp: CLIENT,
    sub: '104892461539281739254',
    email: 'ada@example.com',
    email_verified: true,
    nonce: NONCE,
    at_hash: atHash(ACCESS_TOKEN),
    ...overrides,
  });

  const sign = (
    key: SigningKey,
    overrides: Record<string, unknown> = {},
    expiresAt: string | number = '1h',
    kid = key.kid,
  ) =>
    new SignJWT(claims(overrides))
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(key.privateKey);

  const verify = (token: string) =>
    verifier.verify(token, { nonceHash: sha256(NONCE), accessToken: ACCESS_TOKEN });

  const refusedWith = async (token: string, code: SignInErrorCode, reason: RegExp) => {
    const error = await verify(token).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(SignInError);
    expect(error).toMatchObject({ code, reason: expect.stringMatching(reason) });
  };

  beforeAll(async () => {
    await jwks.start();
    current = await signingKey('a'.repeat(40));
    foreign = await signingKey('f'.repeat(40));
  });

  afterAll(() => jwks.stop());

  beforeEach(() => {
    jwks.published = [current.jwk];
    jwks.fetches = 0;
    jwks.down = false;
    verifier = new IdTokenVerifier(jwks.url, [ISSUER, 'accounts.google.com'], CLIENT, {
      timeoutMs: 2000,
    });
  });

  it('accepts a good token and returns the identity', async () => {
    const identity = await verify(await sign(current));
    expect(identity).toEqual({
      sub: '104892461539281739254',
      email: 'ada@example.com',
      emailVerified: true,
      name: null,
      picture: null,
      hostedDomain: null,
    });
    // both issuer forms
    expect(await verify(await sign(current, { iss: 'accounts.google.com' }))).toBeTruthy();
  });

  it('refuses a wrong issuer, a wrong or extra audience, and a foreign azp', async () => {
    await refusedWith(
      await sign(current, { iss: 'https://evil.example' }),
      SignInErrorCode.InvalidIdToken,
      /iss/,
    );
    await refusedWith(
      await sign(current, { aud: 'other-client' }),
      SignInErrorCode.InvalidIdToken,
      /aud/,
    );
    await refusedWith(
      await sign(current, { azp: 'other-client' }),
      SignInErrorCode.InvalidIdToken,
      /azp/,
    );
  });

  it('refuses an expired token, a wrong or missing nonce, and a token for another access token', async () => {
    await refusedWith(
      await sign(current, {}, Math.floor(Date.now() / 1000) - 120),
      SignInErrorCode.InvalidIdToken,
      /exp/,
    );
    await refusedWith(
      await sign(current, { nonce: 'another' }),
      SignInErrorCode.InvalidIdToken,
      /nonce/,
    );
    await refusedWith(
      await sign(current, { nonce: undefined }),
      SignInErrorCode.InvalidIdToken,
      /nonce/,
    );
    await refusedWith(
      await sign(current, { at_hash: atHash('ya29.other') }),
      SignInErrorCode.InvalidIdToken,
      /at_hash/,
    );
  });

  it('refuses a token issued a week ago, even if it has not expired', async () => {
    const weekAgo = Math.floor(Date.now() / 1000) - 7 * 86400;
    const stale = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', kid: current.kid })
      .setIssuedAt(weekAgo)
      .setExpirationTime('1h')
      .sign(current.privateKey);
    await refusedWith(stale, SignInErrorCode.InvalidIdToken, /iat/);
  });

  it('refuses a signature by a foreign key under a published kid, alg none, and HS256', async () => {
    await refusedWith(
      await sign(foreign, {}, '1h', current.kid),
      SignInErrorCode.InvalidIdToken,
      /failed verification/,
    );
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(
      JSON.stringify({
        ...claims(),
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 3600,
      }),
    ).toString('base64url')}.`;
    await refusedWith(unsigned, SignInErrorCode.InvalidIdToken, /failed verification/);
    const hmac = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', kid: current.kid })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('a-shared-secret-of-some-length!!'));
    await refusedWith(hmac, SignInErrorCode.InvalidIdToken, /failed verification/);
  });

  it('caches the keys per Cache-Control and fetches once more for a new kid', async () => {
    await verify(await sign(current));
    await verify(await sign(current));
    // cached
    expect(jwks.fetches).toBe(1);
    const rotated = await signingKey('b'.repeat(40));
    jwks.published = [current.jwk, rotated.jwk];
    await verify(await sign(rotated));
    // one refetch for the unknown kid
    expect(jwks.fetches).toBe(2);
    await refusedWith(await sign(foreign), SignInErrorCode.InvalidIdToken, /failed verification/);
    // an unknown kid right after a fetch does not fetch again
    expect(jwks.fetches).toBe(2);
  });

  it('keeps working on a warm cache while the JWKS is down, and fails closed on a cold one', async () => {
    await verify(await sign(current));
    jwks.down = true;
    expect(await verify(await sign(current))).toBeTruthy();
    const cold = new IdTokenVerifier(jwks.url, [ISSUER], CLIENT, { timeoutMs: 2000 });
    await expect(
      cold.verify(await sign(current), { nonceHash: sha256(NONCE), accessToken: ACCESS_TOKEN }),
    ).rejects.toMatchObject({ name: 'SignInError', code: SignInErrorCode.UpstreamUnavailable });
  });

  it('with an allowed hosted domain, refuses other domains and consumer accounts', async () => {
    verifier = new IdTokenVerifier(jwks.url, [ISSUER], CLIENT, {
      timeoutMs: 2000,
      allowedHostedDomain: 'example.com',
    });
    expect((await verify(await sign(current, { hd: 'example.com' }))).hostedDomain).toBe(
      'example.com',
    );
    await refusedWith(
      await sign(current, { hd: 'other.com' }),
      SignInErrorCode.DomainNotAllowed,
      /example\.com/,
    );
    await refusedWith(await sign(current), SignInErrorCode.DomainNotAllowed, /example\.com/);
    await refusedWith(
      await sign(current, { hd: 'example.com', email_verified: false }),
      SignInErrorCode.DomainNotAllowed,
      /example\.com/,
    );
  });
});
