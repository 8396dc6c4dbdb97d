import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, EMULATOR_CLIENT, loadConfig } from './app-config.js';

const key = randomBytes(32).toString('base64');
const productionEnv = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://tokens.example.com',
  GOOGLE_CLIENT_ID: 'id.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'secret',
  TOKEN_ENCRYPTION_KEYS: `k1:${key}`,
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a configuration error');
}

describe('loadConfig', () => {
  it('starts with no variables at all: SQLite under data/ and the embedded emulator', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ type: 'sqlite', path: 'data/tokenkeep.sqlite' });
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.google.mode).toBe('embedded-emulator');
    expect(config.google.clientId).toBe(EMULATOR_CLIENT.clientId);
    expect(config.google.emulatorUrl).toBe('http://localhost:3000/__google');
    expect(config.google.callbackUrl).toBe('http://localhost:3000/auth/google/callback');
    expect(config.google.scopes).toEqual(['openid', 'email', 'profile']);
    expect(config.refreshLeewaySeconds).toBe(60);
    expect(config.refresh.forcedMinIntervalMs).toBe(30_000);
    expect(config.tokenEventsRetentionDays).toBe(90);
    expect(config.tokenKeyring).toBe(null);
    expect(config.session.cookieName).toBe('tokenkeep_session');
  });

  it('uses real Google when credentials are set, and a standalone emulator when its URL is', () => {
    const google = loadConfig({ GOOGLE_CLIENT_ID: 'a', GOOGLE_CLIENT_SECRET: 'b' }).google;
    expect(google.mode).toBe('google');
    expect(google.emulatorUrl).toBe(undefined);
    const external = loadConfig({ GOOGLE_EMULATOR_URL: 'http://127.0.0.1:4000/' }).google;
    expect(external.mode).toBe('external-emulator');
    expect(external.emulatorUrl).toBe('http://127.0.0.1:4000');
  });

  it('allows the sign-in scopes by default, and GOOGLE_ALLOWED_SCOPES on top (canonical forms)', () => {
    const drive = 'https://www.googleapis.com/auth/drive.readonly';
    const signIn = [
      'openid',
      'https://www.googleapis.com/auth/userinfo.email',
      'https://www.googleapis.com/auth/userinfo.profile',
    ];
    expect(loadConfig({}).google.allowedScopes).toEqual(signIn);
    expect(loadConfig({ GOOGLE_ALLOWED_SCOPES: `${drive} email` }).google.allowedScopes).toEqual([
      ...signIn,
      drive,
    ]);
    expect(loadConfig({}).google.refreshTokenWarnAt).toBe(90);
    expect(problemsOf({ REFRESH_TOKEN_BUDGET_WARN_AT: '0' })[0]).toMatch(
      /^REFRESH_TOKEN_BUDGET_WARN_AT must be a whole number from 1 to 100/,
    );
  });

  it('reads PostgreSQL from DATABASE_URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@db:5432/tk' }).database).toEqual({
      type: 'postgres',
      url: 'postgres://u@db:5432/tk',
    });
  });

  it('names the variable and what it expects for each bad value', () => {
    expect(problemsOf({ PORT: 'eighty' })).toEqual(['PORT must be a port number from 0 to 65535']);
    expect(problemsOf({ DATABASE_URL: 'mysql://x' })[0]).toMatch(
      /^DATABASE_URL must be sqlite:<file path> or postgres:/,
    );
    expect(problemsOf({ PUBLIC_URL: 'localhost:3000' })[0]).toMatch(
      /^PUBLIC_URL must be an absolute http\(s\) URL/,
    );
    expect(problemsOf({ REFRESH_LEEWAY_SECONDS: '-5' })[0]).toMatch(
      /^REFRESH_LEEWAY_SECONDS must be a whole number/,
    );
    expect(problemsOf({ FORCED_REFRESH_MIN_INTERVAL_SECONDS: 'soon' })[0]).toMatch(
      /^FORCED_REFRESH_MIN_INTERVAL_SECONDS must be a whole number of seconds from 0 to 3600/,
    );
    expect(problemsOf({ TOKEN_EVENTS_RETENTION_DAYS: '0' })[0]).toMatch(
      /^TOKEN_EVENTS_RETENTION_DAYS must be a whole number from 1 to 36500/,
    );
    expect(problemsOf({ GOOGLE_SCOPES: 'email profile' })[0]).toMatch(
      /^GOOGLE_SCOPES must .* start/,
    );
    expect(problemsOf({ GOOGLE_CLIENT_ID: 'only-id' })[0]).toMatch(
      /^GOOGLE_CLIENT_SECRET must be set together/,
    );
    expect(problemsOf({ GOOGLE_EMULATOR: 'off' })[0]).toMatch(/^GOOGLE_CLIENT_ID must be set/);
  });

  it('checks the keyring: 32-byte keys, named, first one current', () => {
    const keyring = loadConfig({
      TOKEN_ENCRYPTION_KEYS: `new:${key}, old:${'ab'.repeat(32)}`,
    }).tokenKeyring;
    expect(keyring?.currentKeyId).toBe('new');
    expect([...(keyring?.keys.keys() ?? [])]).toEqual(['new', 'old']);
    expect(problemsOf({ TOKEN_ENCRYPTION_KEYS: 'k1:c2hvcnQ=' })[0]).toMatch(
      /key k1 must decode to exactly 32 bytes/,
    );
    expect(problemsOf({ TOKEN_ENCRYPTION_KEYS: key })[0]).toMatch(
      /^TOKEN_ENCRYPTION_KEYS must be a comma-separated list/,
    );
    expect(problemsOf({ TOKEN_ENCRYPTION_KEYS: `a:${key},a:${key}` })[0]).toMatch(
      /must not repeat the key id a/,
    );
  });

  it('starts in production only with everything a real deployment needs', () => {
    const config = loadConfig(productionEnv);
    expect(config.isProduction).toBe(true);
    expect(config.session.cookieName).toBe('__Host-tokenkeep_session');
    expect(config.session.secureCookie).toBe(true);
    const without = (name: keyof typeof productionEnv) => {
      const env: Record<string, string> = { ...productionEnv };
      delete env[name];
      return problemsOf(env).join('\n');
    };
    expect(without('GOOGLE_CLIENT_ID')).toMatch(/real Google credentials in production/);
    expect(without('TOKEN_ENCRYPTION_KEYS')).toMatch(
      /TOKEN_ENCRYPTION_KEYS must be set in production/,
    );
    expect(problemsOf({ ...productionEnv, PUBLIC_URL: 'http://tokens.example.com' })[0]).toMatch(
      /https:\/\/ URL in production/,
    );
    expect(
      problemsOf({ ...productionEnv, GOOGLE_EMULATOR_URL: 'http://127.0.0.1:4000' }).join('\n'),
    ).toMatch(/real Google credentials in production/);
  });
});
