import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError, EMULATOR_CLIENT, loadConfig } from './app-config.js';

const key = randomBytes(32).toString('base64');
const productionEnv = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://tokens.example.com',
  GOOGLE_CLIENT_ID: 'id.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'secret',
  TOKEN_ENCRYPTION_KEYS: `k1:${key}`,
  SESSION_SECRET: 'x'.repeat(40),
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a configuration error');
}

describe('loadConfig', () => {
  it('starts with no variables at all: SQLite under data/ and the embedded emulator', () => {
    const config = loadConfig({});
    assert.deepEqual(config.database, { type: 'sqlite', path: 'data/tokenkeep.sqlite' });
    assert.equal(config.port, 3000);
    assert.equal(config.publicUrl, 'http://localhost:3000');
    assert.equal(config.google.mode, 'embedded-emulator');
    assert.equal(config.google.clientId, EMULATOR_CLIENT.clientId);
    assert.equal(config.google.emulatorUrl, 'http://localhost:3000/__google');
    assert.equal(config.google.callbackUrl, 'http://localhost:3000/auth/google/callback');
    assert.deepEqual(config.google.scopes, ['openid', 'email', 'profile']);
    assert.equal(config.refreshLeewaySeconds, 60);
    assert.equal(config.tokenKeyring, null);
    assert.equal(config.session.cookieName, 'tokenkeep_session');
  });

  it('uses real Google when credentials are set, and a standalone emulator when its URL is', () => {
    const google = loadConfig({ GOOGLE_CLIENT_ID: 'a', GOOGLE_CLIENT_SECRET: 'b' }).google;
    assert.equal(google.mode, 'google');
    assert.equal(google.emulatorUrl, undefined);
    const external = loadConfig({ GOOGLE_EMULATOR_URL: 'http://127.0.0.1:4000/' }).google;
    assert.equal(external.mode, 'external-emulator');
    assert.equal(external.emulatorUrl, 'http://127.0.0.1:4000');
  });

  it('reads PostgreSQL from DATABASE_URL', () => {
    assert.deepEqual(loadConfig({ DATABASE_URL: 'postgres://u@db:5432/tk' }).database, {
      type: 'postgres',
      url: 'postgres://u@db:5432/tk',
    });
  });

  it('names the variable and what it expects for each bad value', () => {
    assert.deepEqual(problemsOf({ PORT: 'eighty' }), [
      'PORT must be a port number from 0 to 65535',
    ]);
    assert.match(
      problemsOf({ DATABASE_URL: 'mysql://x' })[0],
      /^DATABASE_URL must be sqlite:<file path> or postgres:/,
    );
    assert.match(
      problemsOf({ PUBLIC_URL: 'localhost:3000' })[0],
      /^PUBLIC_URL must be an absolute http\(s\) URL/,
    );
    assert.match(
      problemsOf({ REFRESH_LEEWAY_SECONDS: '-5' })[0],
      /^REFRESH_LEEWAY_SECONDS must be a whole number/,
    );
    assert.match(problemsOf({ GOOGLE_SCOPES: 'email profile' })[0], /^GOOGLE_SCOPES must .* start/);
    assert.match(
      problemsOf({ GOOGLE_CLIENT_ID: 'only-id' })[0],
      /^GOOGLE_CLIENT_SECRET must be set together/,
    );
    assert.match(problemsOf({ GOOGLE_EMULATOR: 'off' })[0], /^GOOGLE_CLIENT_ID must be set/);
    assert.match(problemsOf({ SESSION_SECRET: 'short' })[0], /^SESSION_SECRET must be at least 32/);
  });

  it('checks the keyring: 32-byte keys, named, first one current', () => {
    const keyring = loadConfig({
      TOKEN_ENCRYPTION_KEYS: `new:${key}, old:${'ab'.repeat(32)}`,
    }).tokenKeyring;
    assert.equal(keyring?.currentKeyId, 'new');
    assert.deepEqual([...(keyring?.keys.keys() ?? [])], ['new', 'old']);
    assert.match(
      problemsOf({ TOKEN_ENCRYPTION_KEYS: 'k1:c2hvcnQ=' })[0],
      /key k1 must decode to exactly 32 bytes/,
    );
    assert.match(
      problemsOf({ TOKEN_ENCRYPTION_KEYS: key })[0],
      /^TOKEN_ENCRYPTION_KEYS must be a comma-separated list/,
    );
    assert.match(
      problemsOf({ TOKEN_ENCRYPTION_KEYS: `a:${key},a:${key}` })[0],
      /must not repeat the key id a/,
    );
  });

  it('starts in production only with everything a real deployment needs', () => {
    const config = loadConfig(productionEnv);
    assert.equal(config.isProduction, true);
    assert.equal(config.session.cookieName, '__Host-tokenkeep_session');
    assert.equal(config.session.secureCookie, true);
    const without = (name: keyof typeof productionEnv) => {
      const env: Record<string, string> = { ...productionEnv };
      delete env[name];
      return problemsOf(env).join('\n');
    };
    assert.match(without('GOOGLE_CLIENT_ID'), /real Google credentials in production/);
    assert.match(
      without('TOKEN_ENCRYPTION_KEYS'),
      /TOKEN_ENCRYPTION_KEYS must be set in production/,
    );
    assert.match(without('SESSION_SECRET'), /SESSION_SECRET must be set in production/);
    assert.match(
      problemsOf({ ...productionEnv, PUBLIC_URL: 'http://tokens.example.com' })[0],
      /https:\/\/ URL in production/,
    );
    assert.match(
      problemsOf({ ...productionEnv, GOOGLE_EMULATOR_URL: 'http://127.0.0.1:4000' }).join('\n'),
      /real Google credentials in production/,
    );
  });
});
