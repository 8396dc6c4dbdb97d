import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import {
  assertTokenError,
  buildEmulator,
  exchangeCode,
  obtainCode,
} from './emulator.test-harness.js';

describe('token endpoint: PKCE', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildEmulator();
  });
  afterAll(() => app.close());

  const verifier = 'v'.repeat(43) + '-._~';
  const s256 = createHash('sha256').update(verifier).digest('base64url');

  async function pkceCode(challenge: string, method?: string): Promise<string> {
    const params: Record<string, string> = { code_challenge: challenge };
    if (method) params.code_challenge_method = method;
    return String((await obtainCode(app, params)).get('code'));
  }

  it('accepts the right S256 verifier', async () => {
    const code = await pkceCode(s256, 'S256');
    expect((await exchangeCode(app, code, { code_verifier: verifier })).statusCode).toBe(200);
  });

  it('refuses a wrong or missing S256 verifier', async () => {
    const code = await pkceCode(s256, 'S256');
    assertTokenError(
      await exchangeCode(app, code, { code_verifier: `${verifier}x` }),
      400,
      'invalid_grant',
      'Invalid code verifier.',
    );
    assertTokenError(await exchangeCode(app, code), 400, 'invalid_grant', 'Missing code verifier.');
    expect((await exchangeCode(app, code, { code_verifier: verifier })).statusCode).toBe(200);
  });

  it('treats a challenge without a method as plain', async () => {
    const code = await pkceCode(verifier);
    assertTokenError(
      await exchangeCode(app, code, { code_verifier: s256 }),
      400,
      'invalid_grant',
      'Invalid code verifier.',
    );
    expect((await exchangeCode(app, code, { code_verifier: verifier })).statusCode).toBe(200);
    const explicit = await pkceCode(verifier, 'plain');
    expect((await exchangeCode(app, explicit, { code_verifier: verifier })).statusCode).toBe(200);
  });

  it('refuses a verifier for a code without a challenge', async () => {
    const code = String((await obtainCode(app)).get('code'));
    assertTokenError(
      await exchangeCode(app, code, { code_verifier: verifier }),
      400,
      'invalid_grant',
      'code_verifier or verifier is not needed.',
    );
  });
});
