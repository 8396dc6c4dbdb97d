import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { parseKeyring } from '../config/keyring.js';
import { DecryptionError, TokenCipher, tokenPlace } from './token-cipher.js';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const cipher = new TokenCipher(parseKeyring(`a:${keyA}`));
const secret = 'ya29.a0-secret-access-token';
const where = tokenPlace('row-1', 'access_token');

/** Flips one bit of a base64url part (on the bytes: the last character may carry unused bits). */
function flipFirstBit(part: string): string {
  const bytes = Buffer.from(part, 'base64url');
  bytes[0] ^= 0x01;
  return bytes.toString('base64url');
}

describe('TokenCipher', () => {
  it('round-trips and never shows the plaintext', () => {
    const envelope = cipher.encrypt(secret, where);
    expect(cipher.decrypt(envelope, where)).toBe(secret);
    expect(envelope.includes(secret)).toBeFalsy();
    expect(TokenCipher.keyIdOf(envelope)).toBe('a');
  });

  it('uses a fresh IV, so the same value encrypts differently each time', () => {
    expect(cipher.encrypt(secret, where)).not.toBe(cipher.encrypt(secret, where));
  });

  it('refuses a tampered ciphertext, IV or tag', () => {
    const parts = cipher.encrypt(secret, where).split(':');
    for (const index of [2, 3, 4]) {
      const tampered = parts.map((part, i) => (i === index ? flipFirstBit(part) : part)).join(':');
      expect(() => cipher.decrypt(tampered, where)).toThrow(DecryptionError);
    }
  });

  it('refuses an envelope copied to another row or column', () => {
    const envelope = cipher.encrypt(secret, where);
    expect(() => cipher.decrypt(envelope, tokenPlace('row-2', 'access_token'))).toThrow(
      DecryptionError,
    );
    expect(() => cipher.decrypt(envelope, tokenPlace('row-1', 'refresh_token'))).toThrow(
      DecryptionError,
    );
  });

  it('refuses the wrong key under the same id, and an unknown key id', () => {
    const envelope = cipher.encrypt(secret, where);
    const impostor = new TokenCipher(parseKeyring(`a:${keyB}`));
    expect(() => impostor.decrypt(envelope, where)).toThrow(DecryptionError);
    const stranger = new TokenCipher(parseKeyring(`b:${keyB}`));
    expect(() => stranger.decrypt(envelope, where)).toThrow(
      /key a is not in TOKEN_ENCRYPTION_KEYS/,
    );
  });

  it('reads envelopes of every key in the ring and writes with the first', () => {
    const old = cipher.encrypt(secret, where);
    const rotated = new TokenCipher(parseKeyring(`b:${keyB},a:${keyA}`));
    expect(rotated.decrypt(old, where)).toBe(secret);
    expect(TokenCipher.keyIdOf(rotated.encrypt(secret, where))).toBe('b');
  });

  it('reads envelopes bound to `table:rowId:column`, the format rows were written with', () => {
    const iv = randomBytes(12);
    const gcm = createCipheriv('aes-256-gcm', Buffer.from(keyA, 'base64'), iv);
    gcm.setAAD(Buffer.from('pending_revocations:row-1:token', 'utf8'));
    const ciphertext = Buffer.concat([gcm.update(secret, 'utf8'), gcm.final()]);
    const envelope = ['v1', 'a', iv, ciphertext, gcm.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join(':');
    const place = { table: 'pending_revocations', rowId: 'row-1', column: 'token' } as const;
    expect(cipher.decrypt(envelope, place)).toBe(secret);
  });

  it('refuses text that is not an envelope', () => {
    expect(() => cipher.decrypt(secret, where)).toThrow(DecryptionError);
  });
});
