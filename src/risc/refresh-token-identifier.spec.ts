import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { namesRefreshToken, refreshTokenIdentifier } from './refresh-token-identifier.js';

const TOKEN = '1//0gexampleRefreshTokenValue-abcdefghijklmnop';

describe('refresh token identifiers of token-revoked events', () => {
  it('hash_base64_sha512_sha512 is base64 SHA-512 of the binary SHA-512 of the token', () => {
    const inner = createHash('sha512').update(TOKEN).digest();
    const expected = createHash('sha512').update(inner).digest('base64');
    expect(refreshTokenIdentifier(TOKEN, 'hash_base64_sha512_sha512')).toBe(expected);
  });

  it('prefix is the first 16 characters', () => {
    expect(refreshTokenIdentifier(TOKEN, 'prefix')).toBe('1//0gexampleRefr');
  });

  it('matches only the token named', () => {
    const subject = {
      kind: 'refresh-token' as const,
      alg: 'hash_base64_sha512_sha512' as const,
      identifier: refreshTokenIdentifier(TOKEN, 'hash_base64_sha512_sha512'),
    };
    expect(namesRefreshToken(subject, TOKEN)).toBe(true);
    expect(namesRefreshToken(subject, `${TOKEN}x`)).toBe(false);
    expect(namesRefreshToken({ ...subject, identifier: 'short' }, TOKEN)).toBe(false);
  });
});
