import { AppError, AppErrorCode, upstreamUnavailable } from '../common/app-error.js';
import type { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import type { GrantFailureReason } from './grant-failure-reason.js';
import { scopeRequestUrl } from '../google/scopes.js';
import { GoogleApiError, GoogleErrorKind } from '../google/google-api.error.js';
import type { OAuthTokenEntity } from './oauth-token.entity.js';

/**
 * The grant is dead or missing: only a new sign-in helps; the error carries where to sign in and
 * why the grant died.
 */
export function reauthRequired(
  config: AppConfig,
  message: string,
  reason: GrantFailureReason,
): AppError {
  return new AppError(AppErrorCode.ReauthRequired, `${message}: sign in again`, {
    loginUrl: `${config.publicUrl}/auth/google`,
    reason,
  });
}

/**
 * The grant lacks scopes a caller needs: the user must grant them. The error carries them and the
 * sign-in URL that asks Google for exactly those (on top of what was granted before).
 */
export function insufficientScope(config: AppConfig, missing: string[]): AppError {
  return new AppError(
    AppErrorCode.InsufficientScope,
    `The Google grant lacks ${missing.length === 1 ? 'a scope' : 'scopes'} this needs: ask the user to grant ${missing.join(' ')}`,
    { missingScopes: missing, loginUrl: scopeRequestUrl(config.publicUrl, missing) },
  );
}

/**
 * During an outage the current token is still served while it lasts. `reason` says why Google
 * refused, when it did for a cause that leaves the grant alive (CLIENT_MISCONFIGURED).
 */
export function stillValidOrUnavailable(
  row: OAuthTokenEntity,
  reason?: GrantFailureReason,
): OAuthTokenEntity {
  if (row.expiresAt !== null && row.expiresAt.getTime() > Date.now()) return row;
  const message = 'Google could not refresh the token; try again shortly';
  if (reason === undefined) throw upstreamUnavailable(message);
  throw new AppError(AppErrorCode.UpstreamUnavailable, message, { retryable: true, reason });
}

/** A forced refresh that produced no newer token. */
export function refreshNotDone(): AppError {
  return upstreamUnavailable('Google could not refresh the token now; try again shortly');
}

/** This instance holds the only copy of the latest grant and the database does not have it yet. */
export function waitingForDatabase(): AppError {
  return upstreamUnavailable('the refreshed token is waiting for the database; try again shortly');
}

/** What a client sees of a failed call to Google; other errors pass through. */
export function toAppError(error: unknown, logger: Logger): unknown {
  if (!(error instanceof GoogleApiError)) return error;
  if (error.kind === GoogleErrorKind.Unavailable) {
    return upstreamUnavailable('Google did not answer in time; try again');
  }
  logger.warn(`Unexpected answer from Google: ${error.message}`);
  return upstreamUnavailable('Google gave an answer we could not use');
}
