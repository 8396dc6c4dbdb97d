import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { googleEmulatorPlugin } from './google-emulator.plugin.js';
import {
  ADA_SUB,
  BASE,
  CLIENT,
  ISSUER,
  assertTokenError,
  buildEmulator,
  getJson,
  refresh,
  signIn,
} from './emulator.test-harness.js';

interface GrantView {
  client_id: string;
  sub: string;
  scopes: string[];
  live_refresh_tokens: number;
  refresh_tokens_minted: number;
}

async function mintRefreshTokens(app: FastifyInstance, count: number): Promise<string[]> {
  const minted: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const tokens = await signIn(app, { access_type: 'offline', prompt: 'consent' });
    minted.push(String(tokens.refresh_token));
  }
  return minted;
}

function patchSettings(app: FastifyInstance, body: unknown) {
  return app.inject({
    method: 'PATCH',
    url: `${BASE}/__emulator/settings`,
    payload: body as object,
  });
}

async function adaGrant(app: FastifyInstance): Promise<GrantView> {
  const response = await getJson(app, `/__emulator/grants?sub=${ADA_SUB}`);
  const grants = response.json<{ grants: GrantView[] }>().grants;
  expect(grants.length).toBe(1);
  return grants[0];
}

describe('refresh-token budget', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildEmulator({ refreshTokenLimit: 3 });
  });
  afterAll(() => app.close());

  it('silently invalidates the oldest refresh token past the configured limit', async () => {
    const [first, second, third, fourth] = await mintRefreshTokens(app, 4);
    assertTokenError(
      await refresh(app, first),
      400,
      'invalid_grant',
      'Token has been expired or revoked.',
    );
    for (const live of [second, third, fourth]) {
      expect((await refresh(app, live)).statusCode).toBe(200);
    }
    const grant = await adaGrant(app);
    expect(grant).toMatchObject({
      client_id: CLIENT.clientId,
      sub: ADA_SUB,
      live_refresh_tokens: 3,
      refresh_tokens_minted: 4,
    });
  });

  it('takes a new limit from the admin API, applied at the next mint', async () => {
    expect((await getJson(app, '/__emulator/settings')).json()).toEqual({
      refresh_token_limit: 3,
    });
    const changed = await patchSettings(app, { refresh_token_limit: 2 });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toEqual({ refresh_token_limit: 2 });
    const [newest] = await mintRefreshTokens(app, 1);
    const grant = await adaGrant(app);
    expect(grant.live_refresh_tokens).toBe(2);
    expect((await refresh(app, newest)).statusCode).toBe(200);
  });

  it('refuses a limit that is not a positive whole number', async () => {
    for (const body of [{ refresh_token_limit: 0 }, { refresh_token_limit: 1.5 }, { other: 1 }]) {
      const response = await patchSettings(app, body);
      expect(response.statusCode).toBe(400);
      expect(response.json<{ error: string }>().error.length).toBeGreaterThan(0);
    }
  });
});

describe('refresh-token budget defaults', () => {
  it('is 100 unless configured', async () => {
    const app = await buildEmulator();
    try {
      expect((await getJson(app, '/__emulator/settings')).json()).toEqual({
        refresh_token_limit: 100,
      });
    } finally {
      await app.close();
    }
  });

  it('refuses a refreshTokenLimit option that is not a positive whole number', async () => {
    const app = Fastify();
    await expect(async () => {
      await app.register(googleEmulatorPlugin, {
        issuer: ISSUER,
        accessTokenTtlSeconds: 60,
        refreshTokenLimit: 0,
      });
    }).rejects.toThrow(/refreshTokenLimit must be a positive whole number/);
    await app.close();
  });
});
