import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, LessThanOrEqual, type Repository } from 'typeorm';
import { CacheCoherence } from '../cache/cache-coherence.js';
import { PeriodicProvider } from '../common/periodic-task.js';
import { GoogleApiError } from '../google/google-api.error.js';
import { GoogleClient } from '../google/google.client.js';
import { StoredTokenState, type OAuthTokenEntity } from './oauth-token.entity.js';
import { PendingRevocationEntity } from './pending-revocation.entity.js';
import { TokenCipher, type SecretPlace } from './token-cipher.js';
import { TokenStore } from './token-store.service.js';

const OUTBOX_INTERVAL_MS = 30_000;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 3_600_000;
const OUTBOX_BATCH = 50;
const REVOKE_ATTEMPTS = 3;

/**
 * Revokes a user's grant at Google and forgets the tokens. When Google cannot be reached the
 * token is kept, encrypted, in `pending_revocations` and retried with growing delays until
 * Google confirms; the user's stored tokens are forgotten at once either way.
 */
@Injectable()
export class TokenRevoker extends PeriodicProvider {
  constructor(
    private readonly store: TokenStore,
    private readonly google: GoogleClient,
    private readonly cipher: TokenCipher,
    @InjectRepository(PendingRevocationEntity)
    private readonly pending: Repository<PendingRevocationEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly coherence: CacheCoherence,
  ) {
    super('Revocation retries', OUTBOX_INTERVAL_MS);
  }

  protected async runOnce(): Promise<void> {
    await this.retryPending();
  }

  /**
   * Returns true when Google confirmed at once, false when the revocation was queued for retry;
   * either way once no instance serves the tokens any more (CacheCoherence.settle), also when
   * they were revoked already (maybe by a revocation still waiting that out itself).
   */
  async revoke(userId: string): Promise<boolean> {
    const confirmed = await this.revokeStored(userId);
    await this.coherence.settle();
    return confirmed;
  }

  private async revokeStored(userId: string): Promise<boolean> {
    // A sign-in or refresh landing while Google answers changes the row: then revoke what it wrote too.
    for (let attempt = 1; ; attempt++) {
      const row = await this.store.findByUser(userId);
      if (!row || row.state === StoredTokenState.Revoked) return true;
      const outcome = await this.revokeRow(row);
      if (outcome !== 'row-changed') return outcome === 'confirmed';
      if (attempt === REVOKE_ATTEMPTS)
        throw new Error('the token row kept changing during revocation');
    }
  }

  private async revokeRow(row: OAuthTokenEntity): Promise<'confirmed' | 'queued' | 'row-changed'> {
    const token = this.revocableToken(row);
    const failure = token === null ? null : await this.tryRevoke(token);
    return this.dataSource.transaction(async (manager) => {
      const detail = failure === null ? 'revoked at Google' : `queued for retry (${failure})`;
      if (!(await this.store.forgetTokens(manager, row, detail))) return 'row-changed';
      if (token !== null && failure !== null) {
        const id = randomUUID();
        await manager.getRepository(PendingRevocationEntity).insert({
          id,
          userId: row.userId,
          tokenCiphertext: this.cipher.encrypt(token, revocationPlace(id)),
          attempts: 1,
          nextAttemptAt: new Date(Date.now() + FIRST_RETRY_MS),
          lastError: failure,
        });
      }
      return failure === null ? 'confirmed' : 'queued';
    });
  }

  /** One pass over the queued revocations that are due; returns how many Google confirmed. */
  async retryPending(now = new Date()): Promise<number> {
    const due = await this.pending.find({
      where: { nextAttemptAt: LessThanOrEqual(now) },
      order: { nextAttemptAt: 'ASC' },
      take: OUTBOX_BATCH,
    });
    let confirmed = 0;
    for (const entry of due) {
      const failure = await this.tryRevoke(
        this.cipher.decrypt(entry.tokenCiphertext, revocationPlace(entry.id)),
      );
      if (failure === null) {
        await this.pending.delete({ id: entry.id });
        confirmed += 1;
        continue;
      }
      const delayMs = Math.min(FIRST_RETRY_MS * 2 ** entry.attempts, MAX_RETRY_MS);
      await this.pending.update(
        { id: entry.id },
        {
          attempts: entry.attempts + 1,
          nextAttemptAt: new Date(now.getTime() + delayMs),
          lastError: failure,
        },
      );
    }
    return confirmed;
  }

  /** Null when Google confirmed (or already had the token revoked), else the reason to retry. */
  private async tryRevoke(token: string): Promise<string | null> {
    try {
      await this.google.revoke(token);
      return null;
    } catch (error) {
      if (!(error instanceof GoogleApiError)) throw error;
      this.logger.warn(`Revocation at Google failed, will retry: ${error.message}`);
      return error.kind;
    }
  }

  /** The refresh token revokes the whole grant; the access token does too when no refresh token is held. */
  private revocableToken(row: OAuthTokenEntity): string | null {
    try {
      return this.store.refreshTokenOf(row) ?? this.store.accessTokenOf(row);
    } catch (error) {
      this.logger.error(
        `Tokens of user ${row.userId} are unreadable; forgetting them without revoking: ${(error as Error).message}`,
      );
      return null;
    }
  }
}

function revocationPlace(id: string): SecretPlace {
  return { table: 'pending_revocations', rowId: id, column: 'token' };
}
