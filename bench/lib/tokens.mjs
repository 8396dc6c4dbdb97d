// The app's own token encryption, from its compiled code (dist/), so rows written or read here
// are exactly what the app writes and reads.
import 'reflect-metadata';
import { fromDist } from './dist.mjs';

const { parseKeyring } = /** @type {typeof import('../../src/config/keyring.js')} */ (
  await fromDist('src/config/keyring.js')
);
const { TokenCipher, tokenPlace } =
  /** @type {typeof import('../../src/tokens/token-cipher.js')} */ (
    await fromDist('src/tokens/token-cipher.js')
  );

/** @typedef {'access_token' | 'refresh_token'} TokenColumn */

/** @param {string} keyring TOKEN_ENCRYPTION_KEYS */
export function tokenCodec(keyring) {
  const cipher = new TokenCipher(parseKeyring(keyring));
  return {
    keyId: cipher.currentKeyId,
    /** @param {string} rowId @param {TokenColumn} column @param {string} plaintext */
    encrypt: (rowId, column, plaintext) => cipher.encrypt(plaintext, tokenPlace(rowId, column)),
    /** @param {string} rowId @param {TokenColumn} column @param {string} envelope */
    decrypt: (rowId, column, envelope) => cipher.decrypt(envelope, tokenPlace(rowId, column)),
  };
}
