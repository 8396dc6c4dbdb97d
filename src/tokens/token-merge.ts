import {
  ASSUMED_LIFETIME_SECONDS,
  expiryFrom,
  type TokenResponse,
} from '../google/token-response.js';

/** The plaintext a token row holds, as far as a refresh is concerned. */
export interface StoredSecrets {
  refreshToken: string;
  scopes: string;
  tokenType: string;
}

export interface MergedTokens {
  accessToken: string;
  refreshToken: string;
  /** True when the provider sent a new refresh token that replaces the stored one. */
  refreshTokenRotated: boolean;
  expiresAt: Date;
  /** The lifetime Google gave the new access token, in seconds. */
  lifetimeSeconds: number;
  /** Google's expires_in was unusable: a short lifetime was assumed. */
  expiresInAssumed: boolean;
  scopes: string;
  tokenType: string;
}

/**
 * What a token row holds after a refresh: the new access token and expiry, the new refresh token
 * only if one came back (Google normally sends none, so the stored one is kept), and the stored
 * scopes when the answer does not list them.
 */
export function mergeRefreshResponse(
  stored: StoredSecrets,
  response: TokenResponse,
  receivedAt: Date,
): MergedTokens {
  const rotated =
    response.refreshToken !== undefined && response.refreshToken !== stored.refreshToken;
  return {
    accessToken: response.accessToken,
    refreshToken: rotated ? response.refreshToken! : stored.refreshToken,
    refreshTokenRotated: rotated,
    expiresAt: expiryFrom(response, receivedAt),
    lifetimeSeconds: response.expiresInSeconds,
    expiresInAssumed: response.expiresInAssumed,
    scopes: response.scope ?? stored.scopes,
    tokenType: response.tokenType ?? stored.tokenType,
  };
}

/** What the audit trail says about a refresh (never a secret). */
export interface RefreshNote {
  refreshTokenRotated: boolean;
  code: string | null;
  detail: string | null;
}

export function refreshNote(merged: MergedTokens): RefreshNote {
  const details = [
    merged.refreshTokenRotated ? 'refresh token rotated' : '',
    merged.expiresInAssumed ? expiresInAssumedDetail() : '',
  ].filter(Boolean);
  return {
    refreshTokenRotated: merged.refreshTokenRotated,
    code: merged.expiresInAssumed ? EXPIRES_IN_UNUSABLE : null,
    detail: details.length > 0 ? details.join('; ') : null,
  };
}

/** The event code of a token whose lifetime Google did not give in a usable form. */
export const EXPIRES_IN_UNUSABLE = 'expires_in_unusable';

export function expiresInAssumedDetail(): string {
  return `Google's expires_in was missing or unusable; assumed ${ASSUMED_LIFETIME_SECONDS} s`;
}
