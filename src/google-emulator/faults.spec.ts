import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
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
} from './spec-harness.spec.js';

describe('fault injection', () => {
  let app: FastifyInstance;
  let refreshToken: string;
  before(async () => {
    app = await buildEmulator();
    refreshToken = String((await signIn(app, { access_type: 'offline' })).refresh_token);
  });
  after(() => app.close());

  async function addFault(fault: Record<string, unknown>): Promise<void> {
    const response = await postJson(app, '/__emulator/faults', fault);
    assert.equal(response.statusCode, 201, response.body);
  }

  async function clearFaults(): Promise<void> {
    await app.inject({ method: 'DELETE', url: `${BASE}/__emulator/faults` });
  }

  it('answers 503 twice, then succeeds', async () => {
    await app.inject({ method: 'DELETE', url: `${BASE}/__emulator/stats` });
    await addFault({ endpoint: 'token', status: 503, count: 2 });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const failed = await refresh(app, refreshToken);
      assert.equal(failed.statusCode, 503);
      assert.equal(failed.json<{ error: { status: string } }>().error.status, 'UNAVAILABLE');
    }
    assert.equal((await refresh(app, refreshToken)).statusCode, 200);
    const stats = (await getJson(app, '/__emulator/stats')).json<{
      errors: Record<string, number>;
      tokenGrants: { refresh_token: number };
    }>();
    assert.equal(stats.errors['503'], 2);
    assert.equal(stats.tokenGrants.refresh_token, 1, 'faulted requests never reached the grant');
  });

  it('injects a Google token error once, leaving the grant alive', async () => {
    await addFault({ endpoint: 'token', error: 'invalid_grant' });
    assertTokenError(
      await refresh(app, refreshToken),
      400,
      'invalid_grant',
      'Token has been expired or revoked.',
    );
    assert.equal((await refresh(app, refreshToken)).statusCode, 200);
    await addFault({ endpoint: '*', error: 'invalid_rapt' });
    const rapt = await refresh(app, refreshToken);
    assert.equal(rapt.statusCode, 400);
    assert.equal(rapt.json<{ error_subtype: string }>().error_subtype, 'invalid_rapt');
  });

  it('rotates refresh tokens until cleared', async () => {
    await addFault({ endpoint: 'token', rotateRefreshTokens: true });
    const rotated = (await refresh(app, refreshToken)).json<TokenBody>();
    assert.match(String(rotated.refresh_token), /^1\/\/0/);
    assert.notEqual(rotated.refresh_token, refreshToken);
    assertTokenError(
      await refresh(app, refreshToken),
      400,
      'invalid_grant',
      'Token has been expired or revoked.',
    );
    const again = (await refresh(app, String(rotated.refresh_token))).json<TokenBody>();
    assert.ok(again.refresh_token);
    await clearFaults();
    const stable = (await refresh(app, String(again.refresh_token))).json<TokenBody>();
    assert.equal(stable.refresh_token, undefined);
    refreshToken = String(again.refresh_token);
  });

  it('answers 403 with an HTML page, and 429 on every endpoint with *', async () => {
    await addFault({ endpoint: 'token', status: 403 });
    const throttled = await refresh(app, refreshToken);
    assert.equal(throttled.statusCode, 403);
    assert.match(String(throttled.headers['content-type']), /^text\/html/);
    assert.ok(throttled.body.includes('Rate Limit Exceeded'));
    await addFault({ endpoint: '*', status: 429 });
    assert.equal((await getJson(app, '/oauth2/v3/userinfo')).statusCode, 429);
    assert.equal((await getJson(app, '/oauth2/v3/userinfo')).statusCode, 401);
  });

  it('answers the authorization endpoint with an HTML error page', async () => {
    await addFault({ endpoint: 'authorization', status: 500 });
    const response = await getJson(app, '/o/oauth2/v2/auth?client_id=x');
    assert.equal(response.statusCode, 500);
    assert.match(String(response.headers['content-type']), /^text\/html/);
  });

  it('adds latency to every request of the endpoint until cleared', async () => {
    await addFault({ endpoint: 'certs', latencyMs: 60 });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const started = performance.now();
      assert.equal((await getJson(app, '/oauth2/v3/certs')).statusCode, 200);
      assert.ok(performance.now() - started >= 55);
    }
    await clearFaults();
    const faults = (await getJson(app, '/__emulator/faults')).json<{ faults: unknown[] }>();
    assert.deepEqual(faults.faults, []);
  });
});

describe('timeout fault over real HTTP', () => {
  let app: FastifyInstance;
  let url: string;
  const logged = new EventTarget();
  before(async () => {
    app = await buildEmulator({
      log: (line) => logged.dispatchEvent(new CustomEvent('line', { detail: line })),
    });
    url = `${await app.listen({ host: '127.0.0.1', port: 0 })}${BASE}`;
  });
  after(() => app.close());

  async function armTimeout(): Promise<void> {
    const response = await fetch(`${url}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: 'userinfo', timeout: true }),
    });
    assert.equal(response.status, 201);
  }

  it('holds the request until the client gives up, then answers again', async () => {
    await armTimeout();
    await assert.rejects(
      fetch(`${url}/v1/userinfo`, { signal: AbortSignal.timeout(150) }),
      (error: Error) => error.name === 'TimeoutError',
    );
    assert.equal((await fetch(`${url}/v1/userinfo`)).status, 401);
    const stats = (await (await fetch(`${url}/__emulator/stats`)).json()) as {
      errors: Record<string, number>;
    };
    assert.equal(stats.errors.timeout, 1);
  });

  it('lets a held request go when the server closes', async () => {
    await armTimeout();
    const holding = once(logged, 'line');
    const held = fetch(`${url}/v1/userinfo`);
    await holding;
    await app.close();
    await assert.rejects(held);
  });
});
