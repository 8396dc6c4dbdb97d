import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { TestBrowser } from './support/browser.js';
import { graphql } from './support/graphql.js';
import { freePort, TEST_KEYRING, withTestApp } from './support/test-app.js';

/** What a production start needs, with a client id Google would never see here. */
const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://tokens.example.com',
  GOOGLE_CLIENT_ID: 'prod-client.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: randomBytes(16).toString('hex'),
};

describe('a production start', () => {
  const suite = withTestApp('sqlite', PRODUCTION_ENV);

  it('mounts no emulator and sends sign-in to Google itself', async () => {
    expect(suite.app.config.google.mode).toBe('google');
    expect((await fetch(`${suite.app.url}/__google/.well-known/openid-configuration`)).status).toBe(
      404,
    );
    const start = await new TestBrowser().get(`${suite.app.url}/auth/google`);
    expect(start.status).toBe(302);
    expect(start.location ?? '').toMatch(/^https:\/\/accounts\.google\.com\/o\/oauth2\/v2\/auth\?/);
    expect(start.location ?? '').toMatch(
      /redirect_uri=https%3A%2F%2Ftokens\.example\.com%2Fauth%2Fgoogle%2Fcallback/,
    );
    expect(start.headers.get('set-cookie') ?? '').toMatch(/^__Host-tokenkeep_login=.*; Secure/);
  });

  it('does not suggest field names in errors', async () => {
    const answer = await graphql(new TestBrowser(), suite.app.url, '{ tokenStatu { state } }');
    expect(answer.errors?.[0].message ?? '').toMatch(/Cannot query field "tokenStatu"/);
    expect(answer.errors?.[0].message ?? '').not.toMatch(/Did you mean/);
  });

  it('keeps /metrics off without a METRICS_TOKEN', async () => {
    expect((await fetch(`${suite.app.url}/metrics`)).status).toBe(404);
  });

  it('serves no playground and refuses introspection', async () => {
    expect((await fetch(`${suite.app.url}/playground`)).status).toBe(404);
    expect((await fetch(`${suite.app.url}/playground/assets/graphiql.js`)).status).toBe(404);
    const answer = await graphql(
      new TestBrowser(),
      suite.app.url,
      '{ __schema { types { name } } }',
    );
    expect(answer.data).toBe(null);
    expect(answer.errors?.[0].message ?? '').toMatch(/introspection/i);
  });
});

describe('a production start with METRICS_TOKEN', () => {
  const token = randomBytes(24).toString('base64url');
  const suite = withTestApp('sqlite', { ...PRODUCTION_ENV, METRICS_TOKEN: token });

  it('serves /metrics only to the bearer of the token', async () => {
    expect((await fetch(`${suite.app.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${suite.app.url}/metrics`, {
      headers: { authorization: `Bearer ${token}x` },
    });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${suite.app.url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(right.status).toBe(200);
    expect(await right.text()).toMatch(/tokenkeep_tokens/);
  });
});

describe('a production start without what production needs', () => {
  it('exits with one line per missing setting, before touching the database', () => {
    const result = spawnSync(process.execPath, ['dist/src/main.js'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines.map((line) => line.replace(/ must .*/, ''))).toEqual([
      'Configuration error: GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET',
      'Configuration error: PUBLIC_URL',
      'Configuration error: TOKEN_ENCRYPTION_KEYS',
    ]);
  });
});

describe('the emulator package at start-up', () => {
  /** Starts dist/src/main.js until it listens, then stops it; returns the emulator modules it loaded. */
  async function emulatorModulesLoaded(env: Record<string, string>): Promise<string[]> {
    const dataDir = await mkdtemp(join(tmpdir(), 'tokenkeep-loads-'));
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', './test/support/record-emulator-loads.mjs', 'dist/src/main.js'],
      {
        env: {
          PATH: process.env.PATH,
          HOST: '127.0.0.1',
          PORT: String(port),
          DATA_DIR: dataDir,
          TOKEN_ENCRYPTION_KEYS: TEST_KEYRING,
          ...env,
        },
      },
    );
    let output = '';
    const listening = new Promise<void>((resolve, reject) => {
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('listening on')) resolve();
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await listening;
    } finally {
      child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    }
    return [...output.matchAll(/^module-loaded (\S+)$/gm)].map((match) => match[1]);
  }

  it('is never loaded by a start with real Google credentials', async () => {
    expect(await emulatorModulesLoaded(PRODUCTION_ENV)).toEqual([]);
  });

  it('is loaded when the app runs embedded (so the check above can see a load)', async () => {
    const loaded = await emulatorModulesLoaded({ NODE_ENV: 'development' });
    expect(loaded.some((url) => url.endsWith('/google-emulator.plugin.js'))).toBe(true);
  });
});
