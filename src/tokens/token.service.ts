import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError, AppErrorCode } from '../common/app-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { GoogleApiError, GoogleErrorKind } from '../google/google-api.error.js';
import { GoogleClient } from '../google/google.client.js';
import { missingScopes, parseScopes, scopeRequestUrl } from '../google/scopes.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { GrantFailureReason } from './grant-failure-reason.js';
import { OAuthTokenEntity, StoredTokenState } from './oauth-token.entity.js';
import type { TokenEventEntity } from './token-event.entity.js';
import { meets, type RefreshNeed } from './refresh-need.js';
import { insufficientScope, reauthRequired, refreshNotDone, toAppError } from './token-errors.js';
import { TokenRefresher } from './token-refresher.js';
import { deadReason, tokenStatusOf, type TokenStatus } from './token-status.js';
import { TokenStore } from './token-store.service.js';
import { toTokenValidation, type TokenValidation } from './token-validation.js';

/** What a caller needs of the grant. */
export interface AccessNeeds {
  /** Scopes the call needs (short or full form); INSUFFICIENT_SCOPE unless all were granted. */
  scopes?: readonly string[];
}

/**
 * Hands out valid Google access tokens for users and keeps them fresh. Inject it anywhere that
 * needs to act for a user: `getValidAccessToken`, or `withAccessToken` to call a Google API.
 */
@Injectable()
export class TokenService {
  private readonly logger = new Logger(TokenService.name);

  constructor(
    private readonly store: TokenStore,
    private readonly refresher: TokenRefresher,
    private readonly google: GoogleClient,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * A usable access token, refreshed first when it expires within REFRESH_LEEWAY_SECONDS. With
   * `scopes`, fails with INSUFFICIENT_SCOPE unless Google granted every one of them.
   */
  async getValidAccessToken(userId: string, { scopes = [] }: AccessNeeds = {}): Promise<string> {
    let row = await this.refresher.activeRow(userId, { cached: true });
    this.requireScopes(row, scopes);
    if (!meets(row, this.usableNeed(), Date.now())) {
      this.metrics.requestRefreshWaits.inc();
      row = await this.refresher.refresh(userId, this.usableNeed());
      // A refresh answers with the refresh token's scopes, which may be fewer.
      this.requireScopes(row, scopes);
    }
    return this.store.accessTokenOf(row);
  }

  /**
   * Refreshes now, whatever the expiry, and returns the new status. Concurrent requests share one
   * refresh; and each user gets at most one per FORCED_REFRESH_MIN_INTERVAL_SECONDS: sooner, a
   * still-usable token is just reported as it is (it is that fresh already).
   */
  async refresh(userId: string): Promise<TokenStatus> {
    const before = await this.refresher.activeRow(userId);
    if (this.refreshedRecently(before) && meets(before, this.usableNeed(), Date.now()))
      return tokenStatusOf(before, this.config.google);
    const after = await this.refresher.refresh(userId, {
      kind: 'newer-than',
      version: before.version,
    });
    if (after.version <= before.version) throw refreshNotDone();
    return tokenStatusOf(after, this.config.google);
  }

  /**
   * Calls a Google API with the user's token. When Google refuses the token (401), it is
   * refreshed once, unless another caller already replaced it, and the call retried once.
   */
  async withAccessToken<T>(
    userId: string,
    call: (accessToken: string) => Promise<T>,
    needs: AccessNeeds = {},
  ): Promise<T> {
    const accessToken = await this.getValidAccessToken(userId, needs);
    try {
      return await call(accessToken);
    } catch (error) {
      if (!isRefusedToken(error)) throw toAppError(error, this.logger);
    }
    let row = await this.refresher.activeRow(userId);
    if (this.store.accessTokenOf(row) === accessToken) {
      this.metrics.requestRefreshWaits.inc();
      row = await this.refresher.refresh(userId, { kind: 'newer-than', version: row.version });
    }
    try {
      return await call(this.store.accessTokenOf(row));
    } catch (error) {
      throw toAppError(error, this.logger);
    }
  }

  /** What Google's tokeninfo says about the stored access token, without refreshing it. */
  async validate(userId: string): Promise<TokenValidation> {
    const row = await this.existingRow(userId);
    if (row.state === StoredTokenState.Revoked)
      throw reauthRequired(this.config, 'the grant was revoked', deadReason(row));
    try {
      const info = await this.google.tokenInfo(this.store.accessTokenOf(row));
      return toTokenValidation(info, this.config.google.clientId);
    } catch (error) {
      throw toAppError(error, this.logger);
    }
  }

  /**
   * The sign-in URL that asks Google for these scopes on top of the user's grant (incremental
   * authorization). BAD_USER_INPUT for none, or for any outside GOOGLE_ALLOWED_SCOPES.
   */
  scopeRequestUrl(scopes: readonly string[]): string {
    const requested = parseScopes(scopes);
    const allowed = new Set(this.config.google.allowedScopes);
    const refused = requested.filter((scope) => !allowed.has(scope));
    if (requested.length === 0 || refused.length > 0) {
      throw new AppError(
        AppErrorCode.BadUserInput,
        requested.length === 0
          ? 'scopes must name at least one scope'
          : `scopes outside GOOGLE_ALLOWED_SCOPES: ${refused.join(' ').slice(0, 200)}`,
        { argument: 'scopes' },
      );
    }
    return scopeRequestUrl(this.config.publicUrl, requested);
  }

  /** The user's token events, newest first; never a secret. */
  events(userId: string, limit: number): Promise<TokenEventEntity[]> {
    return this.store.recentEvents(userId, limit);
  }

  async status(userId: string): Promise<TokenStatus> {
    return tokenStatusOf(await this.existingRow(userId, { cached: true }), this.config.google);
  }

  /** Throws INSUFFICIENT_SCOPE when the grant lacks any of `scopes`. */
  private requireScopes(row: OAuthTokenEntity, scopes: readonly string[]): void {
    const missing = missingScopes(scopes, row.scopes);
    if (missing.length > 0) throw insufficientScope(this.config, missing);
  }

  /** Like status(), but null when no Google token is stored for the user. */
  async statusIfStored(userId: string): Promise<TokenStatus | null> {
    const row = await this.store.findByUser(userId);
    return row ? tokenStatusOf(row, this.config.google) : null;
  }

  private usableNeed(): RefreshNeed {
    return { kind: 'not-expiring', leewayMs: this.config.refreshLeewaySeconds * 1000 };
  }

  private refreshedRecently(row: OAuthTokenEntity): boolean {
    const { forcedMinIntervalMs } = this.config.refresh;
    return (
      row.lastRefreshedAt !== null &&
      Date.now() - row.lastRefreshedAt.getTime() < forcedMinIntervalMs
    );
  }

  private async existingRow(userId: string, { cached = false } = {}): Promise<OAuthTokenEntity> {
    const row = await (cached ? this.store.findForRequest(userId) : this.store.findByUser(userId));
    if (!row) {
      throw reauthRequired(
        this.config,
        'no Google token is stored for this user',
        GrantFailureReason.NoRefreshToken,
      );
    }
    return row;
  }
}

function isRefusedToken(error: unknown): boolean {
  return error instanceof GoogleApiError && error.kind === GoogleErrorKind.InvalidToken;
}
