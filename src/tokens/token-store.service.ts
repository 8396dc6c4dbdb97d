import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { OAuthTokenEntity, StoredTokenState } from './oauth-token.entity.js';
import { GrantFailureReason } from './grant-failure-reason.js';
import { CacheCoherence } from '../cache/cache-coherence.js';
import { ReadCache } from '../cache/read-cache.js';
import { RawSelect } from '../database/raw-select.js';
import { TokenCipher, tokenPlace } from './token-cipher.js';
import { TokenEventEntity, TokenEventType } from './token-event.entity.js';
import {
  EXPIRES_IN_UNUSABLE,
  expiresInAssumedDetail,
  type MergedTokens,
  type RefreshNote,
} from './token-merge.js';
import { expiryFrom, type TokenResponse } from '../google/token-response.js';
import { unionScopes } from '../google/scopes.js';

const PROVIDER = 'google';
const INVALID_GRANT = 'invalid_grant';
const SIGN_IN_WRITE_ATTEMPTS = 5;
/** Active grants kept in memory (see CacheCoherence); about 2 KiB each. */
const MAX_CACHED_ROWS = 10_000;
const MAX_CACHED_ROW_AGE_MS = 60_000;

/**
 * Reads and writes users' Google tokens, encrypting every secret on the way in. Every write of
 * the tokens bumps `version` and only applies to the version it read, so a writer that lost a
 * race never overwrites a newer token with an older one.
 */
@Injectable()
export class TokenStore {
  private readonly logger = new Logger(TokenStore.name);
  private readonly activeRows: ReadCache<OAuthTokenEntity>;

  constructor(
    @InjectRepository(OAuthTokenEntity) private readonly tokens: Repository<OAuthTokenEntity>,
    @InjectRepository(TokenEventEntity) private readonly events: Repository<TokenEventEntity>,
    private readonly cipher: TokenCipher,
    coherence: CacheCoherence,
  ) {
    this.activeRows = new ReadCache(coherence, {
      name: 'tokens',
      maxEntries: MAX_CACHED_ROWS,
      maxAgeMs: MAX_CACHED_ROW_AGE_MS,
      changes: { oauth_tokens: 'key' },
    });
  }

  /**
   * The user's row as a request needs it: an active grant may come from memory (see
   * CacheCoherence), anything else is read from the database.
   */
  findForRequest(userId: string): Promise<OAuthTokenEntity | null> {
    return this.activeRows.get(
      userId,
      () => this.findByUser(userId),
      (row) => row.state === StoredTokenState.Active && {},
    );
  }

  /** The user's row, fresh from the database: raw SQL (see RawSelect). */
  async findByUser(userId: string): Promise<OAuthTokenEntity | null> {
    const { select, sql } = this.byUserRead();
    const rows: Record<string, unknown>[] = await this.tokens.manager.query(sql, [
      userId,
      PROVIDER,
    ]);
    return rows[0] ? select.hydrate(rows[0]) : null;
  }

  private byUser?: { select: RawSelect<OAuthTokenEntity>; sql: string };

  private byUserRead(): { select: RawSelect<OAuthTokenEntity>; sql: string } {
    if (this.byUser) return this.byUser;
    const dataSource = this.tokens.manager.connection;
    const select = new RawSelect(dataSource, OAuthTokenEntity, 't');
    const parameter = (index: number) => RawSelect.parameter(dataSource, index);
    const sql = `SELECT ${select.columns()} FROM ${select.from()} WHERE t.user_id = ${parameter(0)} AND t.provider = ${parameter(1)}`;
    return (this.byUser = { select, sql });
  }

  findById(id: string): Promise<OAuthTokenEntity | null> {
    return this.tokens.findOneBy({ id });
  }

  /**
   * Users whose active token expires before `until` and is not cooling down, soonest first. The
   * range scan on ix_oauth_tokens_state_expires_at makes the cost follow the number due, not the number stored.
   */
  async findExpiring(until: Date, now: Date, limit: number): Promise<string[]> {
    const rows = await this.expiringQuery(until, now, limit).getRawMany<{ userId: string }>();
    return rows.map((row) => row.userId);
  }

  /**
   * The query behind findExpiring, exposed so its plan can be checked. A token that has not yet
   * lived half the lifetime Google gave it is never due, however short that lifetime.
   */
  expiringQuery(until: Date, now: Date, limit: number) {
    const halfLifeReached =
      this.tokens.manager.connection.options.type === 'postgres'
        ? "token.expires_at <= CAST(:now AS timestamptz) + token.lifetime_seconds * interval '0.5 second'"
        : "token.expires_at <= strftime('%Y-%m-%d %H:%M:%f', :now, '+' || (token.lifetime_seconds / 2.0) || ' seconds')";
    return this.tokens
      .createQueryBuilder('token')
      .select('token.userId', 'userId')
      .where('token.expiresAt <= :until', { until })
      .andWhere('token.state = :state', { state: StoredTokenState.Active })
      .andWhere('(token.refreshCooldownUntil IS NULL OR token.refreshCooldownUntil < :now)', {
        now,
      })
      .andWhere(`(token.lifetime_seconds IS NULL OR ${halfLifeReached})`, { now })
      .orderBy('token.expiresAt', 'ASC')
      .limit(limit);
  }

  /** Users whose active grant has not been written since `before` (through ix_oauth_tokens_state_updated_at). */
  async findIdle(before: Date, limit: number): Promise<string[]> {
    const rows = await this.tokens
      .createQueryBuilder('token')
      .select('token.userId', 'userId')
      .where('token.updatedAt < :before', { before })
      .andWhere('token.state = :state', { state: StoredTokenState.Active })
      .orderBy('token.updatedAt', 'ASC')
      .limit(limit)
      .getRawMany<{ userId: string }>();
    return rows.map((row) => row.userId);
  }

  accessTokenOf(row: OAuthTokenEntity): string {
    return this.cipher.decrypt(row.accessTokenCiphertext, tokenPlace(row.id, 'access_token'));
  }

  refreshTokenOf(row: OAuthTokenEntity): string | null {
    if (row.refreshTokenCiphertext === null) return null;
    return this.cipher.decrypt(row.refreshTokenCiphertext, tokenPlace(row.id, 'refresh_token'));
  }

  /**
   * Stores the tokens of a completed sign-in inside the caller's transaction. A response without a
   * refresh token keeps the one already stored (Google sends it only on the first offline consent).
   */
  async saveSignIn(
    manager: EntityManager,
    userId: string,
    response: TokenResponse,
    receivedAt: Date,
    requestedScopes: readonly string[] = [],
  ): Promise<SignInWrite> {
    // A refresh on another instance may write between our read and our write: the write only
    // applies to the version read, so a rotated refresh token is never replaced by an older one.
    for (let attempt = 1; ; attempt++) {
      const existing = await manager
        .getRepository(OAuthTokenEntity)
        .findOneBy({ userId, provider: PROVIDER });
      const written = await this.writeSignIn(manager, userId, existing, {
        response,
        receivedAt,
        requestedScopes,
      });
      if (written) {
        this.activeRows.evict(userId);
        return written;
      }
      if (attempt === SIGN_IN_WRITE_ATTEMPTS)
        throw new Error('the token row kept changing during sign-in');
    }
  }

  private async writeSignIn(
    manager: EntityManager,
    userId: string,
    existing: OAuthTokenEntity | null,
    { response, receivedAt, requestedScopes }: SignInAnswer,
  ): Promise<SignInWrite | null> {
    const rows = manager.getRepository(OAuthTokenEntity);
    const id = existing?.id ?? randomUUID();
    const refreshToken =
      response.refreshToken ?? (existing ? this.readableRefreshToken(existing) : null);
    const mint = mintOf(existing, response, receivedAt);
    const values = {
      ...this.encryptTokens(id, response.accessToken, refreshToken),
      ...mint.columns,
      scopes: response.scope ?? '',
      requestedScopes: unionScopes(existing?.requestedScopes, requestedScopes).join(' '),
      tokenType: response.tokenType ?? 'Bearer',
      expiresAt: expiryFrom(response, receivedAt),
      lifetimeSeconds: response.expiresInSeconds,
      state: StoredTokenState.Active,
      refreshLeaseOwner: null,
      refreshLeaseExpiresAt: null,
      refreshCooldownUntil: null,
      lastErrorCode: null,
      failureReason: null,
    };
    if (existing) {
      const { affected } = await rows.update(
        { id, version: existing.version },
        { ...values, version: existing.version + 1 },
      );
      if (affected !== 1) return null;
    } else {
      await rows.insert({ id, userId, provider: PROVIDER, ...values, version: 1 });
    }
    const detail = [
      response.refreshToken
        ? 'new refresh token'
        : refreshToken
          ? 'kept stored refresh token'
          : 'no refresh token',
      response.expiresInAssumed ? expiresInAssumedDetail() : '',
    ]
      .filter(Boolean)
      .join('; ');
    await manager.getRepository(TokenEventEntity).insert({
      userId,
      type: TokenEventType.Issued,
      code: response.expiresInAssumed ? EXPIRES_IN_UNUSABLE : null,
      detail,
    });
    return { minted: mint.minted, refreshTokensMinted: mint.refreshTokensMinted };
  }

  /**
   * Takes the refresh lease of a row at the version read, if no live lease is held. Only one
   * writer can win this conditional update, on any number of instances.
   */
  async tryAcquireLease(
    row: OAuthTokenEntity,
    owner: string,
    now: Date,
    leaseMs: number,
  ): Promise<boolean> {
    const result = await this.tokens
      .createQueryBuilder()
      .update(OAuthTokenEntity)
      .set({ refreshLeaseOwner: owner, refreshLeaseExpiresAt: new Date(now.getTime() + leaseMs) })
      .where('id = :id AND version = :version', { id: row.id, version: row.version })
      .andWhere('(refresh_lease_owner IS NULL OR refresh_lease_expires_at < :now)', { now })
      .execute();
    return result.affected === 1;
  }

  /** Gives the lease back after a failed refresh and keeps every instance away from Google until `cooldownUntil`. */
  async releaseAfterFailure(
    row: OAuthTokenEntity,
    owner: string,
    cooldownUntil: Date,
    code: string,
    detail: string,
    reason: GrantFailureReason | null = null,
  ): Promise<void> {
    await this.tokens.update(
      { id: row.id, refreshLeaseOwner: owner },
      {
        refreshLeaseOwner: null,
        refreshLeaseExpiresAt: null,
        refreshCooldownUntil: cooldownUntil,
        lastErrorCode: code,
      },
    );
    await this.recordEvent(row.userId, TokenEventType.RefreshFailed, code, detail, reason);
  }

  /** Gives the lease back without a verdict (the refresh stopped for a reason of ours). */
  async releaseLease(row: OAuthTokenEntity, owner: string): Promise<void> {
    await this.tokens.update(
      { id: row.id, refreshLeaseOwner: owner },
      { refreshLeaseOwner: null, refreshLeaseExpiresAt: null },
    );
  }

  /** The row a refresh produces, tokens encrypted, before anything is written. */
  refreshedRow(row: OAuthTokenEntity, merged: MergedTokens, refreshedAt: Date): OAuthTokenEntity {
    return {
      ...row,
      ...this.encryptTokens(row.id, merged.accessToken, merged.refreshToken),
      scopes: merged.scopes,
      tokenType: merged.tokenType,
      expiresAt: merged.expiresAt,
      lifetimeSeconds: merged.lifetimeSeconds,
      state: StoredTokenState.Active,
      version: row.version + 1,
      lastRefreshedAt: refreshedAt,
      refreshCount: row.refreshCount + 1,
      ...(merged.refreshTokenRotated && {
        refreshTokenIssuedAt: refreshedAt,
        refreshTokensMinted: row.refreshTokensMinted + 1,
      }),
      lastErrorCode: null,
      failureReason: null,
      refreshLeaseOwner: null,
      refreshLeaseExpiresAt: null,
      refreshCooldownUntil: null,
      updatedAt: refreshedAt,
    };
  }

  /**
   * Writes a refreshed row over the version it was computed from. If meanwhile another instance
   * refreshed with the refresh token this one replaced and Google's `invalid_grant` got the grant
   * marked REAUTH_REQUIRED, the refreshed row (the only holder of the live refresh token) is
   * written over that mark. Returns the row as stored, or null when another writer got there
   * first (a sign-in, a revocation): the caller then reads theirs.
   */
  async saveRefresh(
    baseVersion: number,
    refreshed: OAuthTokenEntity,
    note: Pick<RefreshNote, 'code' | 'detail' | 'refreshTokenRotated'>,
  ): Promise<OAuthTokenEntity | null> {
    let detail = note.detail;
    const values = {
      ...refreshColumns(refreshed),
      // Counted in SQL: a row replayed from the spool does not carry the count it was computed from.
      ...(note.refreshTokenRotated && {
        refreshTokenIssuedAt: refreshed.lastRefreshedAt,
        refreshTokensMinted: () => 'refresh_tokens_minted + 1',
      }),
    };
    const saved = await this.tokens.update(
      { id: refreshed.id, version: baseVersion },
      { ...values, version: baseVersion + 1 },
    );
    this.activeRows.evict(refreshed.userId);
    let version = baseVersion + 1;
    if (saved.affected !== 1) {
      const overStaleMark = await this.tokens.update(
        {
          id: refreshed.id,
          version: baseVersion + 1,
          state: StoredTokenState.ReauthRequired,
          lastErrorCode: INVALID_GRANT,
        },
        { ...values, version: baseVersion + 2 },
      );
      if (overStaleMark.affected !== 1) return null;
      version = baseVersion + 2;
      detail = `${detail ?? 'refreshed'}; written over the REAUTH_REQUIRED mark a stale refresh token caused`;
    }
    await this.recordEvent(refreshed.userId, TokenEventType.Refreshed, note.code, detail);
    return { ...refreshed, version };
  }

  /**
   * The grant is dead: no more calls to Google for it until the user signs in again. Returns
   * false when the row changed since it was read (then nothing is written).
   */
  async markReauthRequired(
    row: OAuthTokenEntity,
    code: string,
    reason: GrantFailureReason = GrantFailureReason.Unknown,
  ): Promise<boolean> {
    const { affected } = await this.tokens.update(
      { id: row.id, version: row.version },
      {
        state: StoredTokenState.ReauthRequired,
        lastErrorCode: code,
        failureReason: reason,
        version: row.version + 1,
        refreshLeaseOwner: null,
        refreshLeaseExpiresAt: null,
      },
    );
    if (affected !== 1) return false;
    this.activeRows.evict(row.userId);
    await this.recordEvent(row.userId, TokenEventType.ReauthRequired, code, null, reason);
    return true;
  }

  /**
   * Forgets both tokens of a revoked grant (the row stays, saying REVOKED) inside the caller's
   * transaction. Returns false when the row changed since it was read (a sign-in or refresh landed).
   */
  async forgetTokens(
    manager: EntityManager,
    row: OAuthTokenEntity,
    detail: string,
  ): Promise<boolean> {
    const { affected } = await manager.getRepository(OAuthTokenEntity).update(
      { id: row.id, version: row.version },
      {
        state: StoredTokenState.Revoked,
        accessTokenCiphertext: '',
        refreshTokenCiphertext: null,
        expiresAt: null,
        refreshLeaseOwner: null,
        refreshLeaseExpiresAt: null,
        refreshCooldownUntil: null,
        version: row.version + 1,
      },
    );
    if (affected !== 1) return false;
    this.activeRows.evict(row.userId);
    await manager
      .getRepository(TokenEventEntity)
      .insert({ userId: row.userId, type: TokenEventType.Revoked, detail });
    return true;
  }

  /** Deletes up to `limit` of the oldest events written before `cutoff`; returns how many went. */
  async deleteEventsBefore(cutoff: Date, limit: number): Promise<number> {
    const oldest = await this.events
      .createQueryBuilder('event')
      .select('event.id', 'id')
      .where('event.createdAt < :cutoff', { cutoff })
      .orderBy('event.createdAt', 'ASC')
      .limit(limit)
      .getRawMany<{ id: number }>();
    if (oldest.length === 0) return 0;
    await this.events.delete(oldest.map((event) => event.id));
    return oldest.length;
  }

  async recentEvents(userId: string, limit: number): Promise<TokenEventEntity[]> {
    return this.events.find({ where: { userId }, order: { id: 'DESC' }, take: limit });
  }

  /** Appends to the user's audit trail; `detail` is cut to fit. */
  async recordEvent(
    userId: string,
    type: TokenEventType,
    code: string | null,
    detail: string | null,
    reason: GrantFailureReason | null = null,
  ): Promise<void> {
    await this.events.insert({ userId, type, code, detail: detail?.slice(0, 255) ?? null, reason });
  }

  private encryptTokens(rowId: string, accessToken: string, refreshToken: string | null) {
    return {
      accessTokenCiphertext: this.cipher.encrypt(accessToken, tokenPlace(rowId, 'access_token')),
      refreshTokenCiphertext:
        refreshToken === null
          ? null
          : this.cipher.encrypt(refreshToken, tokenPlace(rowId, 'refresh_token')),
      keyId: this.cipher.currentKeyId,
    };
  }

  private readableRefreshToken(row: OAuthTokenEntity): string | null {
    try {
      return this.refreshTokenOf(row);
    } catch (error) {
      this.logger.error(
        `Stored refresh token of user ${row.userId} is unreadable: ${(error as Error).message}`,
      );
      return null;
    }
  }
}

/** What a sign-in brings to store. */
interface SignInAnswer {
  response: TokenResponse;
  receivedAt: Date;
  /** The scopes this sign-in asked for; added to those asked before. */
  requestedScopes: readonly string[];
}

/** What a stored sign-in did to the refresh-token budget. */
export interface SignInWrite {
  /** Google minted a new refresh token at this sign-in. */
  minted: boolean;
  refreshTokensMinted: number;
}

/**
 * The refresh-token count after a sign-in: one more when Google sent a refresh token. A revoked
 * grant held none that Google still counts, so its count starts again.
 */
function mintOf(existing: OAuthTokenEntity | null, response: TokenResponse, receivedAt: Date) {
  const before =
    existing === null || existing.state === StoredTokenState.Revoked
      ? 0
      : existing.refreshTokensMinted;
  if (response.refreshToken === undefined) {
    return { minted: false, refreshTokensMinted: before, columns: { refreshTokensMinted: before } };
  }
  return {
    minted: true,
    refreshTokensMinted: before + 1,
    columns: { refreshTokenIssuedAt: receivedAt, refreshTokensMinted: before + 1 },
  };
}

/** The columns a refresh writes. */
function refreshColumns(row: OAuthTokenEntity) {
  return {
    accessTokenCiphertext: row.accessTokenCiphertext,
    refreshTokenCiphertext: row.refreshTokenCiphertext,
    keyId: row.keyId,
    scopes: row.scopes,
    tokenType: row.tokenType,
    expiresAt: row.expiresAt,
    lifetimeSeconds: row.lifetimeSeconds,
    state: StoredTokenState.Active,
    lastRefreshedAt: row.lastRefreshedAt,
    refreshCount: row.refreshCount,
    lastErrorCode: null,
    failureReason: null,
    refreshLeaseOwner: null,
    refreshLeaseExpiresAt: null,
    refreshCooldownUntil: null,
  };
}
