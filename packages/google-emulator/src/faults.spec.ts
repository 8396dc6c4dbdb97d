import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import {
  BASE,
  assertTokenError,
  buildEmulator,
  getJson,
  postJson,
  refresh,
  signIn,
  type TokenBody,
} from './emulator.test-harness.js';

describe('fault injection', () => {
  let app: FastifyInstance;
  let refreshToken: string;
  beforeAll(async () => {
    app = await buildEmulator();
    refreshToken = String((await signIn(app, { access_type: 'offline' })).refresh_token);
  });
  afterAll(() => app.close());

  async function addFault(fault: Record<string, unknown>): Promise<void> {
    const response = await postJson(app, '/__emulator/faults', fault);
    expect(response.statusCode).toBe(201);
  }

  async function clearFaults(): Promise<void> {
    await app.inject({ method: 'DELETE', url: `${BASE}/__emulator/faults` });
  }

  it('answers 503 twice, then succeeds', async () => {
    await app.inject({ method: 'DELETE', url: `${BASE}/__emulator/stats` });
    await addFault({ endpoint: 'token', status: 503, count: 2 });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const failed = await refresh(app, refreshToken);
      expect(failed.statusCode).toBe(503);
      expect(failed.json<{ error: { status: string } }>().error.status).toBe('UNAVAILABLE');
    }
    expect((await refresh(app, refreshToken)).statusCode).toBe(200);
    const stats = (await getJson(app, '/__emulator/stats')).json<{
      errors: Record<string, number>;
      tokenGrants: { refresh_token: number };
    }>();
    expect(stats.errors['503']).toBe(2);
    // faulted requests never reached the grant
    expect(stats.tokenGrants.refresh_token).toBe(1);
  });

  it('injects a Google token error once, leaving the grant alive', async () => {
    await addFault({ endpoint: 'token', error: 'invalid_grant' });
    assertTokenError(
      await refresh(app, refreshToken),
      400,
      'invalid_grant',
      'Token has been expired or revoked.',
    );
    expect((await refresh(app, refreshToken)).statusCode).toBe(200);
    await addFault({ endpoint: '*', error: 'invalid_rapt' });
    const rapt = await refresh(app, refreshToken);
    expect(rapt.statusCode).toBe(400);
    expect(rapt.json<{ error_subtype: string }>().error_subtype).toBe('invalid_rapt');
  });

  it('rotates refresh tokens until cleared', async () => {
    await addFault({ endpoint: 'token', rotateRefreshTokens: true });
    const rotated = (await refresh(app, refreshToken)).json<TokenBody>();
    expect(String(rotated.refresh_token)).toMatch(/^1\/\/0/);
    expect(rotated.refresh_token).not.toBe(refreshToken);
    assertTokenError(
      await refresh(app, refreshToken),
      400,
      'invalid_grant',
      'Token has been expired or revoked.',
    );
    const again = (await refresh(app, String(rotated.refresh_token))).json<TokenBody>();
    expect(again.refresh_token).toBeTruthy();
    await clearFaults();
    const stable = (await refresh(app, String(again.refresh_token))).json<TokenBody>();
    expect(stable.refresh_token).toBe(undefined);
    refreshToken = String(again.refresh_token);
  });

  it('answers 403 with an HTML page, and 429 on every endpoint with *', async () => {
    await addFault({ endpoint: 'token', status: 403 });
    const throttled = await refresh(app, refreshToken);
    expect(throttled.statusCode).toBe(403);
    expect(String(throttled.headers['content-type'])).toMatch(/^text\/html/);
    expect(throttled.body.includes('Rate Limit Exceeded')).toBeTruthy();
    await addFault({ endpoint: '*', status: 429 });
    expect((await getJson(app, '/oauth2/v3/userinfo')).statusCode).toBe(429);
    expect((await getJson(app, '/oauth2/v3/userinfo')).statusCode).toBe(401);
  });

  it('answers the authorization endpoint with an HTML error page', async () => {
    await addFault({ endpoint: 'authorization', status: 500 });
    const response = await getJson(app, '/o/oauth2/v2/auth?client_id=x');
    expect(response.statusCode).toBe(500);
    expect(String(response.headers['content-type'])).toMatch(/^text\/html/);
  });

  it('adds latency to every request of the endpoint until cleared', async () => {
    await addFault({ endpoint: 'certs', latencyMs: 60 });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const started = performance.now();
      expect((await getJson(app, '/oauth2/v3/certs')).statusCode).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    }
    await clearFaults();
    const faults = (await getJson(app, '/__emulator/faults')).json<{ faults: unknown[] }>();
    expect(faults.faults).toEqual([]);
  });
});

describe('timeout fault over real HTTP', () => {
  let app: FastifyInstance;
  let url: string;
  const logged = new EventTarget();
  beforeAll(async () => {
    app = await buildEmulator({
      log: (line) => logged.dispatchEvent(new CustomEvent('line', { detail: line })),
    });
    url = `${await app.listen({ host: '127.0.0.1', port: 0 })}${BASE}`;
  });
  afterAll(() => app.close());

  async function armTimeout(): Promise<void> {
    const response = await fetch(`${url}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: 'userinfo', timeout: true }),
    });
    expect(response.status).toBe(201);
  }

  it('holds the request until the client gives up, then answers again', async () => {
    await armTimeout();
    await expect(
      fetch(`${url}/v1/userinfo`, { signal: AbortSignal.timeout(150) }),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
    expect((await fetch(`${url}/v1/userinfo`)).status).toBe(401);
    const stats = (await (await fetch(`${url}/__emulator/stats`)).json()) as {
      errors: Record<string, number>;
    };
    expect(stats.errors.timeout).toBe(1);
  });

  it('lets a held request go when the server closes', async () => {
    await armTimeout();
    const holding = once(logged, 'line');
    const held = fetch(`${url}/v1/userinfo`);
    await holding;
    await app.close();
    await expect(held).rejects.toThrow();
  });
});
