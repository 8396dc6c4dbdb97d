import { GrantFailureReason } from './grant-failure-reason.js';
import type { AppConfig } from '../config/app-config.js';
import { missingScopes, parseScopes, unionScopes } from '../google/scopes.js';
import { predictedGrantEnd } from './grant-lifetime.js';
import { StoredTokenState, type OAuthTokenEntity } from './oauth-token.entity.js';

export type TokenState = 'ACTIVE' | 'EXPIRED' | 'REAUTH_REQUIRED' | 'REVOKED';

/** What may be shown about a stored grant: never a token. */
export interface TokenStatus {
  state: TokenState;
  scopes: string[];
  missingScopes: string[];
  expiresAt: Date | null;
  expiresInSeconds: number | null;
  hasRefreshToken: boolean;
  lastRefreshedAt: Date | null;
  refreshCount: number;
  /** Why the grant died; null while it lives. */
  failureReason: GrantFailureReason | null;
  refreshTokenIssuedAt: Date | null;
  refreshTokensMinted: number;
  predictedEndAt: Date | null;
}

export function tokenStatusOf(
  row: OAuthTokenEntity,
  google: AppConfig['google'],
  now = new Date(),
): TokenStatus {
  const expiresInSeconds =
    row.expiresAt === null
      ? null
      : Math.max(0, Math.floor((row.expiresAt.getTime() - now.getTime()) / 1000));
  return {
    state: stateOf(row, now),
    scopes: row.scopes.split(' ').filter(Boolean),
    missingScopes: scopesAskedNotGranted(row, google),
    expiresAt: row.expiresAt,
    expiresInSeconds,
    hasRefreshToken: row.refreshTokenCiphertext !== null,
    lastRefreshedAt: row.lastRefreshedAt,
    refreshCount: row.refreshCount,
    failureReason: row.state === StoredTokenState.Active ? null : deadReason(row),
    refreshTokenIssuedAt: row.refreshTokenCiphertext === null ? null : row.refreshTokenIssuedAt,
    refreshTokensMinted: row.refreshTokensMinted,
    predictedEndAt: predictedGrantEnd(row, google.publishingStatus),
  };
}

/** Scopes the app asked for (still allowed) that Google did not grant. */
function scopesAskedNotGranted(row: OAuthTokenEntity, google: AppConfig['google']): string[] {
  const allowed = new Set(google.allowedScopes);
  const asked = unionScopes(google.scopes, row.requestedScopes).filter((scope) =>
    allowed.has(scope),
  );
  return missingScopes(asked, parseScopes(row.scopes));
}

/** Why a grant that is no longer ACTIVE died (a revocation through us records no reason). */
export function deadReason(row: OAuthTokenEntity): GrantFailureReason {
  if (row.failureReason !== null) return row.failureReason;
  return row.state === StoredTokenState.Revoked
    ? GrantFailureReason.Revoked
    : GrantFailureReason.Unknown;
}

function stateOf(row: OAuthTokenEntity, now: Date): TokenState {
  if (row.state !== StoredTokenState.Active) return row.state;
  if (row.expiresAt !== null && row.expiresAt <= now) return 'EXPIRED';
  return 'ACTIVE';
}
