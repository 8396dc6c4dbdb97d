import { AppError, AppErrorCode, upstreamUnavailable } from '../common/app-error.js';
import type { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { GoogleApiError, GoogleErrorKind } from '../google/google-api.error.js';
import type { OAuthTokenEntity } from './oauth-token.entity.js';

/** The grant is dead or missing: only a new sign-in helps; the error carries where to sign in. */
export function reauthRequired(config: AppConfig, reason: string): AppError {
  return new AppError(AppErrorCode.ReauthRequired, `${reason}: sign in again`, {
    loginUrl: `${config.publicUrl}/auth/google`,
  });
}

/** During an outage the current token is still served while it lasts. */
export function stillValidOrUnavailable(row: OAuthTokenEntity): OAuthTokenEntity {
  if (row.expiresAt !== null && row.expiresAt.getTime() > Date.now()) return row;
  throw upstreamUnavailable('Google could not refresh the token; try again shortly');
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
