import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { OAuthTokenEntity, StoredTokenState } from './oauth-token.entity.js';
import { TokenCipher } from './token-cipher.js';
import { TokenEventEntity, TokenEventType } from './token-event.entity.js';
import { expiryFrom, type TokenResponse } from './token-response.js';
import { tokenStatusOf, type TokenStatus } from './token-status.js';

const PROVIDER = 'google';

/** Reads and writes users' Google tokens, encrypting every secret on the way in. */
@Injectable()
export class TokenStore {
  private readonly logger = new Logger(TokenStore.name);

  constructor(
    @InjectRepository(OAuthTokenEntity) private readonly tokens: Repository<OAuthTokenEntity>,
    private readonly cipher: TokenCipher,
  ) {}

  /**
   * Stores the tokens of a completed sign-in inside the caller's transaction. A response without a
   * refresh token keeps the one already stored (Google sends it only on the first offline consent).
   */
  async saveSignIn(
    manager: EntityManager,
    userId: string,
    response: TokenResponse,
    receivedAt: Date,
  ): Promise<void> {
    const rows = manager.getRepository(OAuthTokenEntity);
    const existing = await rows.findOneBy({ userId, provider: PROVIDER });
    const id = existing?.id ?? randomUUID();
    const refreshToken =
      response.refreshToken ?? (existing ? this.storedRefreshToken(existing) : null);
    const values = {
      accessTokenCiphertext: this.cipher.encrypt(
        response.accessToken,
        associatedData(id, 'access_token'),
      ),
      refreshTokenCiphertext:
        refreshToken === null
          ? null
          : this.cipher.encrypt(refreshToken, associatedData(id, 'refresh_token')),
      keyId: this.cipher.currentKeyId,
      scopes: response.scope ?? '',
      tokenType: response.tokenType ?? 'Bearer',
      expiresAt: expiryFrom(response, receivedAt),
      state: StoredTokenState.Active,
      refreshLeaseOwner: null,
      refreshLeaseExpiresAt: null,
      lastErrorCode: null,
    };
    if (existing) {
      await rows.update({ id }, { ...values, version: existing.version + 1 });
    } else {
      await rows.insert({ id, userId, provider: PROVIDER, ...values, version: 1 });
    }
    await manager.getRepository(TokenEventEntity).insert({
      userId,
      type: TokenEventType.Issued,
      detail: response.refreshToken
        ? 'new refresh token'
        : refreshToken
          ? 'kept stored refresh token'
          : 'no refresh token',
    });
  }

  async status(userId: string): Promise<TokenStatus | null> {
    const row = await this.tokens.findOneBy({ userId, provider: PROVIDER });
    return row ? tokenStatusOf(row) : null;
  }

  private storedRefreshToken(row: OAuthTokenEntity): string | null {
    if (row.refreshTokenCiphertext === null) return null;
    try {
      return this.cipher.decrypt(
        row.refreshTokenCiphertext,
        associatedData(row.id, 'refresh_token'),
      );
    } catch (error) {
      this.logger.error(
        `Stored refresh token of user ${row.userId} is unreadable: ${(error as Error).message}`,
      );
      return null;
    }
  }
}

/** Binds a ciphertext to its row and column, so it cannot be moved to another user. */
export function associatedData(rowId: string, column: 'access_token' | 'refresh_token'): string {
  return `oauth_tokens:${rowId}:${column}`;
}
