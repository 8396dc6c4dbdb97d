// The app's own token encryption, from its compiled code (dist/), so rows written or read here
// are exactly what the app writes and reads.
import 'reflect-metadata';
import { parseKeyring } from '../../dist/src/config/keyring.js';
import { TokenCipher } from '../../dist/src/tokens/token-cipher.js';
import { associatedData } from '../../dist/src/tokens/token-store.service.js';

export function tokenCodec(keyring) {
  const cipher = new TokenCipher(parseKeyring(keyring));
  return {
    keyId: cipher.currentKeyId,
    encrypt: (rowId, column, plaintext) => cipher.encrypt(plaintext, associatedData(rowId, column)),
    decrypt: (rowId, column, envelope) => cipher.decrypt(envelope, associatedData(rowId, column)),
  };
}
