import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from '../config/keyring.js';

const ENVELOPE_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Where an envelope is stored. It is the envelope's associated data, so an envelope copied to
 * another row or column does not decrypt.
 */
export type SecretPlace =
  | { table: 'oauth_tokens'; rowId: string; column: 'access_token' | 'refresh_token' }
  | { table: 'pending_revocations'; rowId: string; column: 'token' }
  | { table: 'login_states'; rowId: string; column: 'code_verifier' };

/** Where one of a user's Google tokens is stored. */
export function tokenPlace(rowId: string, column: 'access_token' | 'refresh_token'): SecretPlace {
  return { table: 'oauth_tokens', rowId, column };
}

export class DecryptionError extends Error {
  constructor(reason: string) {
    super(`Cannot decrypt a stored secret: ${reason}`);
    this.name = 'DecryptionError';
  }
}

/**
 * AES-256-GCM with a fresh 96-bit IV per encryption. An envelope reads
 * `v1:<keyId>:<iv>:<ciphertext>:<tag>` (base64url parts); its associated data is its SecretPlace.
 */
export class TokenCipher {
  constructor(private readonly keyring: Keyring) {}

  get currentKeyId(): string {
    return this.keyring.currentKeyId;
  }

  encrypt(plaintext: string, place: SecretPlace): string {
    const keyId = this.keyring.currentKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key(keyId), iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(place));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [ENVELOPE_VERSION, keyId, iv, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join(':');
  }

  decrypt(envelope: string, place: SecretPlace): string {
    const [version, keyId, iv, ciphertext, tag] = envelope.split(':');
    if (version !== ENVELOPE_VERSION || tag === undefined)
      throw new DecryptionError('not an envelope');
    const key = this.key(keyId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(associatedData(place));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new DecryptionError('authentication failed (wrong key, wrong row or tampered data)');
    }
  }

  /** The id of the key an envelope was written with. */
  static keyIdOf(envelope: string): string {
    return envelope.split(':')[1] ?? '';
  }

  private key(keyId: string): Buffer {
    const key = this.keyring.keys.get(keyId);
    if (key === undefined)
      throw new DecryptionError(`key ${keyId} is not in TOKEN_ENCRYPTION_KEYS`);
    return key;
  }
}

function associatedData({ table, rowId, column }: SecretPlace): Buffer {
  return Buffer.from(`${table}:${rowId}:${column}`, 'utf8');
}
