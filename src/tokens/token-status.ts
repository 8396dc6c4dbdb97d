import { StoredTokenState, type OAuthTokenEntity } from './oauth-token.entity.js';

export type TokenState = 'ACTIVE' | 'EXPIRED' | 'REAUTH_REQUIRED' | 'REVOKED';

/** What may be shown about a stored grant: never a token. */
export interface TokenStatus {
  state: TokenState;
  scopes: string[];
  expiresAt: Date | null;
  expiresInSeconds: number | null;
  hasRefreshToken: boolean;
  lastRefreshedAt: Date | null;
  refreshCount: number;
}

export function tokenStatusOf(row: OAuthTokenEntity, now = new Date()): TokenStatus {
  const expiresInSeconds =
    row.expiresAt === null
      ? null
      : Math.max(0, Math.floor((row.expiresAt.getTime() - now.getTime()) / 1000));
  return {
    state: stateOf(row, now),
    scopes: row.scopes.split(' ').filter(Boolean),
    expiresAt: row.expiresAt,
    expiresInSeconds,
    hasRefreshToken: row.refreshTokenCiphertext !== null,
    lastRefreshedAt: row.lastRefreshedAt,
    refreshCount: row.refreshCount,
  };
}

function stateOf(row: OAuthTokenEntity, now: Date): TokenState {
  if (row.state !== StoredTokenState.Active) return row.state;
  if (row.expiresAt !== null && row.expiresAt <= now) return 'EXPIRED';
  return 'ACTIVE';
}
