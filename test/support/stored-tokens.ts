import { parseKeyring } from '../../src/config/keyring.js';
import { TokenCipher, tokenPlace } from '../../src/tokens/token-cipher.js';
import { TEST_KEYRING } from './test-app.js';
import type { TestDatabase } from './test-database.js';

export interface TokenRow {
  id: string;
  user_id: string;
  access_token_ciphertext: string;
  refresh_token_ciphertext: string | null;
  key_id: string;
  scopes: string;
  state: string;
  version: number;
  expires_at: string | Date;
}

const cipher = new TokenCipher(parseKeyring(TEST_KEYRING));

/** A Google user's token row and both its tokens, decrypted with the test keyring (throws if either is missing). */
export async function storedTokens(database: TestDatabase, sub: string) {
  const placeholder = database.kind === 'postgres' ? '$1' : '?';
  const [row] = await database.query<TokenRow>(
    `SELECT t.* FROM oauth_tokens t JOIN users u ON u.id = t.user_id WHERE u.google_sub = ${placeholder}`,
    [sub],
  );
  return {
    row,
    accessToken: cipher.decrypt(row.access_token_ciphertext, tokenPlace(row.id, 'access_token')),
    refreshToken: cipher.decrypt(
      row.refresh_token_ciphertext ?? 'no refresh token is stored',
      tokenPlace(row.id, 'refresh_token'),
    ),
    expiresAt: new Date(row.expires_at),
  };
}
