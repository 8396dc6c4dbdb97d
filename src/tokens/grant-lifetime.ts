import type { AppConfig } from '../config/app-config.js';
import { onlyBasicProfileScopes, TESTING_REFRESH_TOKEN_LIFETIME_MS } from '../google/scopes.js';
import { StoredTokenState, type OAuthTokenEntity } from './oauth-token.entity.js';

type PublishingStatus = AppConfig['google']['publishingStatus'];

/**
 * When Google will end the held refresh token, if it will: apps in Testing lose refresh tokens
 * 7 days after issue, unless only openid, email and profile were granted. Null otherwise.
 */
export function predictedGrantEnd(
  row: OAuthTokenEntity,
  publishingStatus: PublishingStatus,
): Date | null {
  if (publishingStatus !== 'testing') return null;
  if (row.refreshTokenCiphertext === null || row.refreshTokenIssuedAt === null) return null;
  if (onlyBasicProfileScopes(row.scopes)) return null;
  return new Date(row.refreshTokenIssuedAt.getTime() + TESTING_REFRESH_TOKEN_LIFETIME_MS);
}

/**
 * True when the row holds a refresh token Google should still accept: a live grant that is not
 * past its Testing-mode end. Without one, a sign-in must ask Google to mint a new one.
 */
export function holdsUsableRefreshToken(
  row: OAuthTokenEntity | null,
  publishingStatus: PublishingStatus,
  now = new Date(),
): boolean {
  if (row === null || row.state !== StoredTokenState.Active) return false;
  if (row.refreshTokenCiphertext === null) return false;
  const end = predictedGrantEnd(row, publishingStatus);
  return end === null || end > now;
}
