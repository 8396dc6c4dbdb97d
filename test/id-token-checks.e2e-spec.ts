import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { TestBrowser } from './support/browser.js';
import {
  startEmulatorBehindProvider,
  type RewritingProvider,
} from './support/rewriting-provider.js';
import { signIn } from './support/sign-in.js';
import { TamperingProvider, type IdTokenTamper } from './support/tampering-provider.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const now = () => Math.floor(Date.now() / 1000);

const HOSTILE: [string, IdTokenTamper][] = [
  [
    'a wrong issuer',
    (claims) => ({ claims: { ...claims, iss: 'https://evil.example' }, signing: 'proxy-key' }),
  ],
  [
    'a wrong audience',
    (claims) => ({ claims: { ...claims, aud: 'someone-else' }, signing: 'proxy-key' }),
  ],
  [
    'an expired token',
    (claims) => ({
      claims: { ...claims, iat: now() - 7200, exp: now() - 3600 },
      signing: 'proxy-key',
    }),
  ],
  [
    'a wrong nonce',
    (claims) => ({ claims: { ...claims, nonce: 'not-ours' }, signing: 'proxy-key' }),
  ],
  ['a foreign signing key', (claims) => ({ claims, signing: 'foreign-key' })],
  ['alg: none', (claims) => ({ claims, signing: 'none' })],
];

describe('sign-in with a provider that tampers with the ID token', () => {
  let database: TestDatabase;
  let emulator: StandaloneEmulator;
  let proxy: RewritingProvider;
  let provider: TamperingProvider;
  let app: TestApp;
  const rows = async () => ({
    users: (await database.query('SELECT id FROM users')).length,
    tokens: (await database.query('SELECT id FROM oauth_tokens')).length,
  });

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    ({ emulator, provider: proxy } = await startEmulatorBehindProvider());
    provider = await TamperingProvider.on(proxy);
    app = await startTestApp(database, { GOOGLE_EMULATOR_URL: emulator.url });
  });

  afterAll(async () => {
    await app?.stop();
    await proxy?.stop();
    await emulator?.close();
    await database?.drop();
  });

  for (const [name, tamper] of HOSTILE) {
    it(`refuses ${name} and stores nothing`, async () => {
      provider.tamper = tamper;
      const { callback } = await signIn(new TestBrowser(), app.url);
      expect(callback.status).toBe(401);
      expect(callback.body).toMatch(/could not be verified/);
      expect(await rows()).toEqual({ users: 0, tokens: 0 });
    });
  }

  it('accepts the same flow when the token is only re-signed (the harness itself is sound)', async () => {
    provider.tamper = (claims) => ({ claims, signing: 'proxy-key' });
    const { callback } = await signIn(new TestBrowser(), app.url);
    expect(callback.status).toBe(303);
    expect(await rows()).toEqual({ users: 1, tokens: 1 });
  });
});
