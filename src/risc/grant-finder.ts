import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, MoreThan, Not, type Repository } from 'typeorm';
import { OAuthTokenEntity } from '../tokens/oauth-token.entity.js';
import { TokenStore } from '../tokens/token-store.service.js';
import { namesRefreshToken } from './refresh-token-identifier.js';
import type { RefreshTokenSubject } from './security-events.js';

const BATCH = 500;

/** Finds the grant that holds the refresh token a token-revoked event names. */
@Injectable()
export class GrantFinder {
  private readonly logger = new Logger(GrantFinder.name);

  constructor(
    @InjectRepository(OAuthTokenEntity) private readonly tokens: Repository<OAuthTokenEntity>,
    private readonly store: TokenStore,
  ) {}

  /**
   * Refresh tokens are stored encrypted (with a random nonce), so no column can be matched: every
   * grant that holds one is decrypted in batches. Only a token signed by Google gets here, and
   * Google sends token-revoked rarely.
   */
  async holding(subject: RefreshTokenSubject): Promise<OAuthTokenEntity | null> {
    for (let after = ''; ;) {
      const batch = await this.tokens.find({
        where: { id: MoreThan(after), refreshTokenCiphertext: Not(IsNull()) },
        order: { id: 'ASC' },
        take: BATCH,
      });
      const match = batch.find((row) => this.holds(row, subject));
      if (match) return match;
      if (batch.length < BATCH) return null;
      after = batch[batch.length - 1].id;
    }
  }

  private holds(row: OAuthTokenEntity, subject: RefreshTokenSubject): boolean {
    try {
      const token = this.store.refreshTokenOf(row);
      return token !== null && namesRefreshToken(subject, token);
    } catch (error) {
      this.logger.warn(
        `Refresh token of user ${row.userId} is unreadable: ${(error as Error).message}`,
      );
      return false;
    }
  }
}
