import { Not, type DataSource, type EntityManager } from 'typeorm';
import type { Keyring } from '../config/keyring.js';
import type { AppConfig } from '../config/app-config.js';
import { withDataSource } from '../database/run-migrations.js';
import { OAuthTokenEntity, StoredTokenState } from './oauth-token.entity.js';
import { PendingRevocationEntity } from './pending-revocation.entity.js';
import { DecryptionError, TokenCipher, tokenPlace, type SecretPlace } from './token-cipher.js';

const BATCH = 100;

/** The keys and the stored data do not fit together; nothing was written. */
export class KeyringMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringMismatchError';
  }
}

/**
 * Fails closed before the app serves anything: every key id the stored tokens use must be in the
 * keyring, and must decrypt a sample of them. Reads only; writes nothing.
 */
export async function verifyKeyringAgainstDatabase(
  dataSource: DataSource,
  keyring: Keyring,
): Promise<void> {
  const cipher = new TokenCipher(keyring);
  const rows = dataSource.getRepository(OAuthTokenEntity);
  const keyIds = await rows
    .createQueryBuilder('token')
    .select('DISTINCT token.keyId', 'keyId')
    .where('token.state != :revoked', { revoked: StoredTokenState.Revoked })
    .getRawMany<{ keyId: string }>();
  for (const { keyId } of keyIds) {
    if (!keyring.keys.has(keyId)) {
      throw new KeyringMismatchError(
        `Stored tokens are encrypted with key "${keyId}", which TOKEN_ENCRYPTION_KEYS does not contain; add it back (after the current key) or nothing can be decrypted`,
      );
    }
    const sample = await rows.findOneByOrFail({ keyId, state: Not(StoredTokenState.Revoked) });
    try {
      cipher.decrypt(sample.accessTokenCiphertext, tokenPlace(sample.id, 'access_token'));
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      throw new KeyringMismatchError(
        `Key "${keyId}" in TOKEN_ENCRYPTION_KEYS does not decrypt the tokens stored under that id: it is the wrong key`,
      );
    }
  }
}

export interface RotationResult {
  tokensRewritten: number;
  revocationsRewritten: number;
}

/**
 * Re-encrypts every stored secret under the current key, while the service runs. Each row is
 * rewritten only at the version read, so a refresh that lands meanwhile wins (and writes under the
 * current key itself). The version is not bumped: the tokens inside are the same, and callers
 * waiting for a newer token must not mistake a re-encryption for a refresh.
 */
export async function rotateKeys(config: AppConfig): Promise<RotationResult> {
  const cipher = new TokenCipher(config.tokenKeyring);
  return withDataSource(config.database, 2, async (dataSource) => {
    if (await dataSource.showMigrations()) {
      throw new KeyringMismatchError(
        'The database has pending migrations: run `npm run migration:run` (or start the service) first',
      );
    }
    const result: RotationResult = { tokensRewritten: 0, revocationsRewritten: 0 };
    for (;;) {
      const stale = await dataSource.getRepository(OAuthTokenEntity).find({
        where: { keyId: Not(cipher.currentKeyId), state: Not(StoredTokenState.Revoked) },
        take: BATCH,
      });
      if (stale.length === 0) break;
      for (const row of stale)
        result.tokensRewritten += await reencryptToken(dataSource.manager, cipher, row);
    }
    result.revocationsRewritten = await reencryptPendingRevocations(dataSource.manager, cipher);
    return result;
  });
}

async function reencryptToken(
  manager: EntityManager,
  cipher: TokenCipher,
  row: OAuthTokenEntity,
): Promise<number> {
  const reencrypt = (envelope: string, column: 'access_token' | 'refresh_token') =>
    reencryptAt(cipher, envelope, tokenPlace(row.id, column));
  const { affected } = await manager.getRepository(OAuthTokenEntity).update(
    { id: row.id, version: row.version },
    {
      accessTokenCiphertext: reencrypt(row.accessTokenCiphertext, 'access_token'),
      refreshTokenCiphertext:
        row.refreshTokenCiphertext && reencrypt(row.refreshTokenCiphertext, 'refresh_token'),
      keyId: cipher.currentKeyId,
    },
  );
  return affected ?? 0;
}

async function reencryptPendingRevocations(
  manager: EntityManager,
  cipher: TokenCipher,
): Promise<number> {
  const pending = manager.getRepository(PendingRevocationEntity);
  let rewritten = 0;
  for (const entry of await pending.find()) {
    if (TokenCipher.keyIdOf(entry.tokenCiphertext) === cipher.currentKeyId) continue;
    const tokenCiphertext = reencryptAt(cipher, entry.tokenCiphertext, {
      table: 'pending_revocations',
      rowId: entry.id,
      column: 'token',
    });
    rewritten +=
      (
        await pending.update(
          { id: entry.id, tokenCiphertext: entry.tokenCiphertext },
          { tokenCiphertext },
        )
      ).affected ?? 0;
  }
  return rewritten;
}

function reencryptAt(cipher: TokenCipher, envelope: string, place: SecretPlace): string {
  return cipher.encrypt(cipher.decrypt(envelope, place), place);
}
