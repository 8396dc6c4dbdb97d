import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError, AppErrorCode } from '../common/app-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { GoogleApiError, GoogleErrorKind } from '../google/google-api.error.js';
import { GoogleClient } from '../google/google.client.js';
import { OAuthTokenEntity, StoredTokenState } from './oauth-token.entity.js';
import { mergeRefreshResponse } from './token-merge.js';
import { tokenStatusOf, type TokenStatus } from './token-status.js';
import { TokenStore } from './token-store.service.js';
import { toTokenValidation, type TokenValidation } from './token-validation.js';

type RefreshMode = 'when-expiring' | 'always';

/**
 * Hands out valid Google access tokens for users and keeps them fresh. Inject it anywhere that
 * needs to act for a user: `getValidAccessToken`, or `withAccessToken` to call a Google API.
 */
@Injectable()
export class TokenService {
  private readonly logger = new Logger(TokenService.name);
  /** Refreshes under way in this process, by user: concurrent callers share one. */
  private readonly inFlight = new Map<string, Promise<OAuthTokenEntity>>();

  constructor(
    private readonly store: TokenStore,
    private readonly google: GoogleClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A usable access token, refreshed first when it expires within REFRESH_LEEWAY_SECONDS. */
  async getValidAccessToken(userId: string): Promise<string> {
    let row = await this.usableRow(userId);
    if (this.isExpiring(row)) row = await this.refreshOnce(userId, 'when-expiring');
    return this.store.accessTokenOf(row);
  }

  /** Refreshes now, whatever the expiry, and returns the new status. */
  async refresh(userId: string): Promise<TokenStatus> {
    await this.usableRow(userId);
    return tokenStatusOf(await this.refreshOnce(userId, 'always'));
  }

  /**
   * Calls a Google API with the user's token. On a 401 it refreshes once and retries once; a
   * second 401 is not retried again.
   */
  async withAccessToken<T>(userId: string, call: (accessToken: string) => Promise<T>): Promise<T> {
    const accessToken = await this.getValidAccessToken(userId);
    try {
      return await call(accessToken);
    } catch (error) {
      if (!isRefusedToken(error)) throw toAppError(error, this.logger);
    }
    // Another caller may already have replaced the refused token; refresh only if it is still stored.
    const current = await this.usableRow(userId);
    const row =
      this.store.accessTokenOf(current) === accessToken
        ? await this.refreshOnce(userId, 'always')
        : current;
    try {
      return await call(this.store.accessTokenOf(row));
    } catch (error) {
      throw toAppError(error, this.logger);
    }
  }

  /** What Google's tokeninfo says about the stored access token, without refreshing it. */
  async validate(userId: string): Promise<TokenValidation> {
    const row = await this.existingRow(userId);
    try {
      const info = await this.google.tokenInfo(this.store.accessTokenOf(row));
      return toTokenValidation(info, this.config.google.clientId);
    } catch (error) {
      throw toAppError(error, this.logger);
    }
  }

  async status(userId: string): Promise<TokenStatus> {
    return tokenStatusOf(await this.existingRow(userId));
  }

  private refreshOnce(userId: string, mode: RefreshMode): Promise<OAuthTokenEntity> {
    const running = this.inFlight.get(userId);
    if (running) return running;
    const refresh = this.performRefresh(userId, mode).finally(() => this.inFlight.delete(userId));
    this.inFlight.set(userId, refresh);
    return refresh;
  }

  private async performRefresh(userId: string, mode: RefreshMode): Promise<OAuthTokenEntity> {
    const row = await this.usableRow(userId);
    if (mode === 'when-expiring' && !this.isExpiring(row)) return row;
    const refreshToken = this.store.refreshTokenOf(row);
    if (refreshToken === null) {
      await this.store.markReauthRequired(row, 'no_refresh_token');
      throw this.reauthRequired('no refresh token is stored');
    }
    const receivedAt = new Date();
    try {
      const response = await this.google.refreshAccessToken(refreshToken);
      const merged = mergeRefreshResponse(
        { refreshToken, scopes: row.scopes, tokenType: row.tokenType },
        response,
        receivedAt,
      );
      return (
        (await this.store.saveRefresh(row, merged, receivedAt)) ?? (await this.usableRow(userId))
      );
    } catch (error) {
      return this.afterFailedRefresh(row, error);
    }
  }

  /** Dead grants stop here; other failures keep the tokens and serve the current one while it lasts. */
  private async afterFailedRefresh(
    row: OAuthTokenEntity,
    error: unknown,
  ): Promise<OAuthTokenEntity> {
    if (!(error instanceof GoogleApiError)) throw error;
    if (error.kind === GoogleErrorKind.InvalidGrant) {
      await this.store.markReauthRequired(row, error.googleCode ?? 'invalid_grant');
      throw this.reauthRequired('Google no longer accepts this grant');
    }
    if (error.kind === GoogleErrorKind.InvalidClient) {
      this.logger.error(
        `Google refused our OAuth client (${error.googleCode}): check GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET`,
      );
    }
    await this.store.recordRefreshFailure(row, error.googleCode ?? error.kind, error.detail);
    if (row.expiresAt !== null && row.expiresAt > new Date()) return row;
    throw new AppError(
      AppErrorCode.UpstreamUnavailable,
      'Google could not refresh the token; try again shortly',
      {
        retryable: true,
      },
    );
  }

  private async existingRow(userId: string): Promise<OAuthTokenEntity> {
    const row = await this.store.findByUser(userId);
    if (!row) throw this.reauthRequired('no Google token is stored for this user');
    return row;
  }

  private async usableRow(userId: string): Promise<OAuthTokenEntity> {
    const row = await this.existingRow(userId);
    if (row.state !== StoredTokenState.Active)
      throw this.reauthRequired('the Google grant needs a new sign-in');
    return row;
  }

  private isExpiring(row: OAuthTokenEntity): boolean {
    if (row.expiresAt === null) return false;
    return row.expiresAt.getTime() - Date.now() <= this.config.refreshLeewaySeconds * 1000;
  }

  private reauthRequired(message: string): AppError {
    return new AppError(AppErrorCode.ReauthRequired, `${message}: sign in again`, {
      loginUrl: `${this.config.publicUrl}/auth/google`,
    });
  }
}

function isRefusedToken(error: unknown): boolean {
  return error instanceof GoogleApiError && error.kind === GoogleErrorKind.InvalidToken;
}

function toAppError(error: unknown, logger: Logger): unknown {
  if (!(error instanceof GoogleApiError)) return error;
  if (error.kind === GoogleErrorKind.Unavailable) {
    return new AppError(
      AppErrorCode.UpstreamUnavailable,
      'Google did not answer in time; try again',
      { retryable: true },
    );
  }
  logger.warn(`Unexpected answer from Google: ${error.message}`);
  return new AppError(AppErrorCode.UpstreamUnavailable, 'Google gave an answer we could not use', {
    retryable: true,
  });
}
