import { expiryFrom, type TokenResponse } from '../google/token-response.js';

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
  expiresAt: Date | null;
  /** The lifetime Google gave the new access token, in seconds. */
  lifetimeSeconds: number | null;
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
    lifetimeSeconds: response.expiresInSeconds ?? null,
    scopes: response.scope ?? stored.scopes,
    tokenType: response.tokenType ?? stored.tokenType,
  };
}
