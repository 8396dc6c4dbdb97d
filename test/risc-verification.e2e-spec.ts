import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStandaloneEmulator, type StandaloneEmulator } from '@tokenkeep/google-emulator';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { REFUSED_BODY } from '../src/risc/risc.controller.js';
import { RewritingProvider } from './support/rewriting-provider.js';
import { freePort, startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const KID = 'test-risc-key';
const KEYS_PATH = '/test-risc-keys';
const VERIFICATION = 'https://schemas.openid.net/secevent/risc/event-type/verification';
const MAX_AGE_SECONDS = 600;
const RISC_PER_MINUTE = 40;

/**
 * The checks a forged or stale SET must fail. Google's RISC configuration passes through a proxy
 * that names a key set the test holds the private key of, so tokens with any claims can be signed.
 */
describe('RISC receiver: what a security event token must be', () => {
  let database: TestDatabase;
  let emulator: StandaloneEmulator;
  let provider: RewritingProvider;
  let app: TestApp;
  let trustedKey: CryptoKey;
  let foreignKey: CryptoKey;
  let keySetFetches = 0;
  let keySetDown = false;

  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const claims = (overrides: JWTPayload = {}): JWTPayload => ({
    iss: provider.url,
    aud: app.config.google.clientId,
    iat: nowSeconds(),
    jti: randomBytes(16).toString('hex'),
    events: { [VERIFICATION]: { state: 'test' } },
    ...overrides,
  });
  const sign = (payload: JWTPayload, key = trustedKey, kid = KID) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, typ: 'secevent+jwt' }).sign(key);
  const post = async (body: string) => {
    const response = await fetch(`${app.url}/risc`, {
      method: 'POST',
      headers: { 'content-type': 'application/secevent+jwt' },
      body,
    });
    return { status: response.status, text: await response.text() };
  };
  const expectRefused = (answer: { status: number; text: string }) => {
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual(REFUSED_BODY);
  };

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const providerPort = await freePort();
    emulator = await startStandaloneEmulator({
      host: '127.0.0.1',
      port: 0,
      publicUrl: `http://127.0.0.1:${providerPort}`,
      accessTokenTtlSeconds: 3600,
    });
    provider = new RewritingProvider(providerPort, emulator.port);
    await provider.start();
    const trusted = await generateKeyPair('RS256');
    trustedKey = trusted.privateKey;
    foreignKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(trusted.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
    provider.rewrite = (path, json) =>
      path === '/.well-known/risc-configuration'
        ? { ...json, jwks_uri: `${provider.url}${KEYS_PATH}` }
        : json;
    provider.answers.set(KEYS_PATH, (response) => {
      keySetFetches += 1;
      if (keySetDown) return void response.writeHead(503).end();
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    app = await startTestApp(database, {
      GOOGLE_EMULATOR_URL: provider.url,
      RISC_MAX_EVENT_AGE_SECONDS: String(MAX_AGE_SECONDS),
      RATE_LIMIT_RISC_PER_MINUTE: String(RISC_PER_MINUTE),
    });
  });

  afterAll(async () => {
    await app?.stop();
    await provider?.stop();
    await emulator?.close();
    await database?.drop();
  });

  it('answers 503 with Retry-After while the signing keys cannot be fetched, so Google delivers again', async () => {
    keySetDown = true;
    const set = await sign(claims());
    const response = await fetch(`${app.url}/risc`, {
      method: 'POST',
      headers: { 'content-type': 'application/secevent+jwt' },
      body: set,
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('30');
    keySetDown = false;
    expect((await post(set)).status).toBe(202);
  });

  it('accepts a fresh SET signed with a key of the RISC configuration, for us (aud a string or a list)', async () => {
    expect((await post(await sign(claims()))).status).toBe(202);
    const audiences = ['someone-else', app.config.google.clientId];
    expect((await post(await sign(claims({ aud: audiences })))).status).toBe(202);
  });

  it('refuses a stale iat, an iat in the future, and no iat', async () => {
    const stale = nowSeconds() - MAX_AGE_SECONDS - 120;
    expectRefused(await post(await sign(claims({ iat: stale }))));
    expectRefused(await post(await sign(claims({ iat: nowSeconds() + 600 }))));
    expectRefused(await post(await sign(claims({ iat: undefined }))));
  });

  it('refuses another issuer and another audience, though signed with the trusted key', async () => {
    expectRefused(await post(await sign(claims({ iss: 'https://accounts.example.com' }))));
    expectRefused(await post(await sign(claims({ aud: 'another-client' }))));
  });

  it('refuses a foreign key, an unsigned token, a missing jti or events', async () => {
    expectRefused(await post(await sign(claims(), foreignKey)));
    const unsigned = (await sign(claims())).split('.');
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'secevent+jwt' })).toString(
      'base64url',
    );
    expectRefused(await post(`${none}.${unsigned[1]}.`));
    expectRefused(await post(await sign(claims({ jti: undefined }))));
    expectRefused(await post(await sign(claims({ events: undefined }))));
    expectRefused(await post(await sign(claims({ events: {} }))));
  });

  it('forged tokens naming unknown keys fetch the key set at most once (and the body is small)', async () => {
    const before = keySetFetches;
    for (let forged = 0; forged < 8; forged++) {
      expectRefused(await post(await sign(claims(), foreignKey, `unknown-${forged}`)));
    }
    expect(keySetFetches - before).toBeLessThanOrEqual(1);
    expect((await post('x'.repeat(20 * 1024))).status).toBe(413);
  });

  it('answers 429 once an address sent RATE_LIMIT_RISC_PER_MINUTE requests in the window', async () => {
    const statuses: number[] = [];
    for (let sent = 0; sent < RISC_PER_MINUTE; sent++)
      statuses.push((await post('garbage')).status);
    expect(statuses).toContain(429);
    expect(statuses.slice(statuses.indexOf(429))).toEqual(
      statuses.slice(statuses.indexOf(429)).map(() => 429),
    );
  });
});
