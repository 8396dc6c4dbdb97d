import { createHash, timingSafeEqual } from 'node:crypto';
import type { RefreshTokenSubject } from './security-events.js';

/** Google's identifier of a refresh token in a token-revoked event, computed from the token we hold. */
export function refreshTokenIdentifier(token: string, alg: RefreshTokenSubject['alg']): string {
  if (alg === 'prefix') return token.slice(0, 16);
  const inner = createHash('sha512').update(token, 'utf8').digest();
  return createHash('sha512').update(inner).digest('base64');
}

/** Whether `token` is the refresh token the event names. */
export function namesRefreshToken(subject: RefreshTokenSubject, token: string): boolean {
  const expected = Buffer.from(refreshTokenIdentifier(token, subject.alg));
  const given = Buffer.from(subject.identifier);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
