import { describe, expect, it } from '@jest/globals';
import { precheck, RejectedTokenError } from './set-verifier.js';

const NOW_MS = Date.UTC(2026, 0, 1);
const EXPECTED = { audience: 'our-client', maxAgeSeconds: 600, clockToleranceSeconds: 60 };
const VERIFICATION = 'https://schemas.openid.net/secevent/risc/event-type/verification';

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const token = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
  `${part({ alg: 'RS256', kid: 'k', ...header })}.${part({
    iss: 'https://accounts.google.com/',
    aud: 'our-client',
    iat: NOW_MS / 1000,
    jti: 'abc',
    events: { [VERIFICATION]: {} },
    ...claims,
  })}.c2ln`;

describe('precheck (no keys, no network)', () => {
  it('lets a well-formed, fresh SET for us through', () => {
    expect(precheck(token({}), EXPECTED, NOW_MS).jti).toBe('abc');
    expect(precheck(token({ aud: ['x', 'our-client'] }), EXPECTED, NOW_MS).jti).toBe('abc');
    expect(precheck(token({ iat: NOW_MS / 1000 - 650 }), EXPECTED, NOW_MS).jti).toBe('abc');
  });

  it.each([
    ['not a JWS', 'garbage'],
    ['a header that is not JSON', 'bm90.anNvbg.c2ln'],
    ['alg none', token({}, { alg: 'none' })],
    ['alg HS256', token({}, { alg: 'HS256' })],
    ['another audience', token({ aud: 'another' })],
    ['no iat', token({ iat: undefined })],
    ['an iat as text', token({ iat: String(NOW_MS / 1000) })],
    ['a stale iat', token({ iat: NOW_MS / 1000 - 661 })],
    ['an iat in the future', token({ iat: NOW_MS / 1000 + 61 })],
    ['no jti', token({ jti: undefined })],
    ['a huge jti', token({ jti: 'j'.repeat(257) })],
    ['no events', token({ events: undefined })],
  ])('refuses %s', (_what, candidate) => {
    expect(() => precheck(candidate, EXPECTED, NOW_MS)).toThrow(RejectedTokenError);
  });
});
