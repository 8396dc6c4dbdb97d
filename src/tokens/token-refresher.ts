import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { AppError, AppErrorCode } from '../common/app-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { GoogleApiError, GoogleErrorKind } from '../google/google-api.error.js';
import { GoogleClient } from '../google/google.client.js';
import type { TokenResponse } from '../google/token-response.js';
import { MetricsService, type RefreshTrigger } from '../metrics/metrics.service.js';
import { OAuthTokenEntity, StoredTokenState } from './oauth-token.entity.js';
import { GrantFailureReason } from './grant-failure-reason.js';
import { failureReasonOf, isClientMisconfiguration, type GrantFacts } from './failure-reason-of.js';
import { acceptsFlightResult, meets, type RefreshNeed } from './refresh-need.js';
import { RefreshSaver } from './refresh-saver.js';
import { reauthRequired, stillValidOrUnavailable, waitingForDatabase } from './token-errors.js';
import { deadReason } from './token-status.js';
import { mergeRefreshResponse, refreshNote } from './token-merge.js';
import { TokenStore } from './token-store.service.js';

const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 250;

/** The refresh lease this instance holds on a row. */
interface HeldLease {
  /** Epoch ms when other instances may take it over. */
  endsAt: number;
  /** Whether it was taken over from a holder that never finished (crashed, or lost the database). */
  tookOver: boolean;
}

export type RefreshOutcome = 'refreshed' | 'skipped' | 'failed';

/**
 * Refreshes each grant once however many callers ask at once. Callers in this process share one
 * promise per user; instances share a lease on the token row (a conditional update only one
 * writer wins, expiring so a crashed holder frees it). The others poll the row until the holder
 * has written a new version. No transaction or connection is held while Google is called.
 */
@Injectable()
export class TokenRefresher implements BeforeApplicationShutdown {
  private readonly logger = new Logger(TokenRefresher.name);
  /** Names this instance in the lease column (varchar(64): long pod names are cut). */
  private readonly owner = `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly inFlight = new Map<string, Promise<OAuthTokenEntity>>();

  constructor(
    private readonly store: TokenStore,
    private readonly google: GoogleClient,
    private readonly saver: RefreshSaver,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Lets refreshes under way finish (and write or give back their lease) while the database is open. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** How long a caller may wait for another instance's refresh before it gives up: the documented bound. */
  get maxWaitMs(): number {
    return this.config.refresh.leaseMs + this.config.refresh.deadlineMs + 1000;
  }

  /** The user's token row once it meets `need` (refreshed here or elsewhere), or the reason it cannot. */
  async refresh(userId: string, need: RefreshNeed): Promise<OAuthTokenEntity> {
    const unsaved = this.saver.unsavedFor(userId);
    if (unsaved) return usableUnsaved(unsaved, need);
    const joined = this.inFlight.get(userId);
    if (joined) {
      const row = await joined;
      // The flight we joined may have had a weaker need than ours (a forced refresh joining a check).
      if (acceptsFlightResult(row, need, Date.now())) return row;
    }
    return this.startFlight(userId, need);
  }

  /**
   * For background work: refreshes only if the token does not meet `need`, is not cooling down
   * and no one else holds its lease; never waits for another refresher.
   */
  async refreshIfFree(userId: string, need: RefreshNeed): Promise<RefreshOutcome> {
    if (this.inFlight.has(userId) || this.saver.unsavedFor(userId)) return 'skipped';
    const row = await this.store.findByUser(userId);
    const now = new Date();
    if (!row || row.state !== StoredTokenState.Active || meets(row, need, now.getTime()))
      return 'skipped';
    if (row.refreshCooldownUntil !== null && row.refreshCooldownUntil > now) return 'skipped';
    const lease = await this.tryLease(row, now);
    if (!lease) return 'skipped';
    const flight = this.track(userId, this.refreshAsLeaseHolder(row, lease, 'proactive'));
    try {
      return (await flight).version > row.version ? 'refreshed' : 'failed';
    } catch {
      return 'failed';
    }
  }

  /**
   * The user's token row if its grant is usable, else REAUTH_REQUIRED. `cached`: it may come from
   * memory (TokenStore.findForRequest), as every request's first read does.
   */
  async activeRow(userId: string, { cached = false } = {}): Promise<OAuthTokenEntity> {
    const row = await (cached ? this.store.findForRequest(userId) : this.store.findByUser(userId));
    if (!row) {
      throw reauthRequired(
        this.config,
        'no Google token is stored for this user',
        GrantFailureReason.NoRefreshToken,
      );
    }
    if (row.state !== StoredTokenState.Active)
      throw reauthRequired(this.config, 'the Google grant needs a new sign-in', deadReason(row));
    return row;
  }

  private startFlight(userId: string, need: RefreshNeed): Promise<OAuthTokenEntity> {
    const running = this.inFlight.get(userId);
    if (running) return running;
    return this.track(userId, this.coordinate(userId, need));
  }

  private async coordinate(userId: string, need: RefreshNeed): Promise<OAuthTokenEntity> {
    const giveUpAt = Date.now() + this.maxWaitMs;
    for (let pollMs = FIRST_POLL_MS; ; pollMs = Math.min(pollMs * 1.5, MAX_POLL_MS)) {
      const row = await this.activeRow(userId);
      const now = new Date();
      if (meets(row, need, now.getTime())) return row;
      if (row.refreshCooldownUntil !== null && row.refreshCooldownUntil > now)
        return stillValidOrUnavailable(row, cooldownReason(row));
      const lease = await this.tryLease(row, now);
      if (lease) return this.refreshAsLeaseHolder(row, lease, 'request');
      if (Date.now() >= giveUpAt) return stillValidOrUnavailable(row);
      if (pollMs === FIRST_POLL_MS) this.metrics.leaseWaits.inc();
      await sleep(pollMs * (0.5 + Math.random()));
    }
  }

  private async tryLease(row: OAuthTokenEntity, now: Date): Promise<HeldLease | null> {
    const { leaseMs } = this.config.refresh;
    if (!(await this.store.tryAcquireLease(row, this.owner, now, leaseMs))) return null;
    // Only a free or an expired lease can be taken: a named owner means it never finished.
    return { endsAt: now.getTime() + leaseMs, tookOver: row.refreshLeaseOwner !== null };
  }

  private async refreshAsLeaseHolder(
    row: OAuthTokenEntity,
    lease: HeldLease,
    trigger: RefreshTrigger,
  ): Promise<OAuthTokenEntity> {
    const stopTimer = this.metrics.refreshDuration.startTimer();
    const record = (outcome: string) => {
      stopTimer({ outcome });
      this.metrics.refreshes.inc({ trigger, outcome });
    };
    try {
      const refreshed = await this.callGoogleAndStore(row, lease);
      record(refreshed.version > row.version ? 'success' : 'failed');
      return refreshed;
    } catch (error) {
      record(
        error instanceof AppError && error.code === AppErrorCode.ReauthRequired
          ? 'reauth_required'
          : 'failed',
      );
      throw error;
    }
  }

  /** Registers a flight for its user; it leaves the map only if it is still the one registered. */
  private track(userId: string, work: Promise<OAuthTokenEntity>): Promise<OAuthTokenEntity> {
    const flight: Promise<OAuthTokenEntity> = work.finally(() => {
      if (this.inFlight.get(userId) === flight) this.inFlight.delete(userId);
    });
    this.inFlight.set(userId, flight);
    return flight;
  }

  private async callGoogleAndStore(
    row: OAuthTokenEntity,
    lease: HeldLease,
  ): Promise<OAuthTokenEntity> {
    let refreshToken: string | null;
    try {
      refreshToken = this.store.refreshTokenOf(row);
    } catch (error) {
      await this.store.releaseLease(row, this.owner);
      throw error;
    }
    if (refreshToken === null) {
      const reason = GrantFailureReason.NoRefreshToken;
      if (await this.store.markReauthRequired(row, 'no_refresh_token', reason))
        this.metrics.grantsDead.inc({ reason });
      throw reauthRequired(this.config, 'no refresh token is stored', reason);
    }
    const receivedAt = new Date();
    let response: TokenResponse;
    try {
      response = await this.google.refreshAccessToken(
        refreshToken,
        Date.now() + this.config.refresh.deadlineMs,
      );
    } catch (error) {
      return this.afterFailedRefresh(row, lease, error);
    }
    const answeredAt = process.hrtime.bigint();
    const merged = mergeRefreshResponse(
      { refreshToken, scopes: row.scopes, tokenType: row.tokenType },
      response,
      receivedAt,
    );
    const refreshed = this.store.refreshedRow(row, merged, receivedAt);
    const kept = await this.saver.save(
      row,
      refreshed,
      refreshNote(merged),
      answeredAt,
      lease.endsAt,
    );
    return kept ?? (await this.activeRow(row.userId));
  }

  /** A dead grant stops here for good; any other failure keeps the tokens and cools down. */
  private async afterFailedRefresh(
    row: OAuthTokenEntity,
    lease: HeldLease,
    error: unknown,
  ): Promise<OAuthTokenEntity> {
    if (!(error instanceof GoogleApiError)) {
      await this.store.releaseLease(row, this.owner).catch(() => undefined);
      throw error;
    }
    this.metrics.googleErrors.inc({ code: error.googleCode ?? error.kind });
    if (error.kind === GoogleErrorKind.InvalidGrant) {
      const current = await this.store.findByUser(row.userId);
      // Another writer stored a newer grant meanwhile: ours was just stale.
      if (current && current.version !== row.version && current.state === StoredTokenState.Active)
        return current;
      // The holder we took over from may hold a new refresh token it could not store yet (Google
      // then refuses the one we read): only a second invalid_grant, after a cooldown, confirms.
      if (!lease.tookOver) return this.markDead(row, error);
      return this.coolDown(
        row,
        error,
        'after taking over an unfinished refresh; not yet confirmed',
      );
    }
    if (error.kind === GoogleErrorKind.InvalidClient) {
      const reason = GrantFailureReason.ClientMisconfigured;
      this.logger.error(
        `Google refused our OAuth client (${error.googleCode}, ${reason}): check GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET. Users' grants are left as they are.`,
      );
      this.metrics.refreshRefusals.inc({ reason });
      return this.coolDown(row, error, error.detail, reason);
    }
    return this.coolDown(row, error, error.detail);
  }

  private async markDead(row: OAuthTokenEntity, error: GoogleApiError): Promise<OAuthTokenEntity> {
    const reason = await this.reasonOf(row, error);
    this.metrics.refreshRefusals.inc({ reason });
    if (!(await this.store.markReauthRequired(row, error.googleCode ?? 'invalid_grant', reason))) {
      // A sign-in landed meanwhile: its grant is the one that counts now.
      return this.activeRow(row.userId);
    }
    this.metrics.grantsDead.inc({ reason });
    throw reauthRequired(this.config, 'Google no longer accepts this grant', reason);
  }

  /**
   * Why Google refused the refresh. When its answer and the grant's dates leave it open, asks
   * Google whether the access token still works (only while it should by our clock).
   */
  private async reasonOf(
    row: OAuthTokenEntity,
    error: GoogleApiError,
  ): Promise<GrantFailureReason> {
    const refusal = {
      error: error.googleCode ?? 'invalid_grant',
      subtype: error.subtype,
      description: error.detail,
    };
    const now = new Date();
    const facts: GrantFacts = {
      now,
      publishingStatus: this.config.google.publishingStatus,
      scopes: row.scopes.split(' ').filter(Boolean),
      // Rows signed in before the issue time was recorded: their creation bounds it.
      refreshTokenIssuedAt: row.refreshTokenIssuedAt ?? row.createdAt,
      lastRefreshedAt: row.lastRefreshedAt,
      accessTokenAccepted: null,
    };
    const reason = failureReasonOf(refusal, facts);
    if (reason !== GrantFailureReason.Unknown || row.expiresAt === null || row.expiresAt <= now)
      return reason;
    const accessTokenAccepted = await this.accessTokenAccepted(row);
    return failureReasonOf(refusal, { ...facts, accessTokenAccepted });
  }

  /** True or false as Google's userinfo answers for the stored access token; null if it did not say. */
  private async accessTokenAccepted(row: OAuthTokenEntity): Promise<boolean | null> {
    try {
      await this.google.userinfo(this.store.accessTokenOf(row));
      return true;
    } catch (error) {
      if (error instanceof GoogleApiError && error.kind === GoogleErrorKind.InvalidToken)
        return false;
      return null;
    }
  }

  private async coolDown(
    row: OAuthTokenEntity,
    error: GoogleApiError,
    detail: string,
    reason?: GrantFailureReason,
  ): Promise<OAuthTokenEntity> {
    const cooldownUntil = new Date(Date.now() + this.config.refresh.failureCooldownMs);
    await this.store.releaseAfterFailure(
      row,
      this.owner,
      cooldownUntil,
      error.googleCode ?? error.kind,
      detail,
      reason ?? null,
    );
    return stillValidOrUnavailable(row, reason);
  }
}

/** A refresh cooling down because Google refused our client: callers learn why. */
function cooldownReason(row: OAuthTokenEntity): GrantFailureReason | undefined {
  return isClientMisconfiguration(row.lastErrorCode)
    ? GrantFailureReason.ClientMisconfigured
    : undefined;
}

/** This instance holds the only copy of the latest grant: it is served while it lasts, never refreshed again. */
function usableUnsaved(row: OAuthTokenEntity, need: RefreshNeed): OAuthTokenEntity {
  if (acceptsFlightResult(row, need, Date.now())) return row;
  throw waitingForDatabase();
}
