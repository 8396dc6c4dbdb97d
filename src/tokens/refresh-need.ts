import type { OAuthTokenEntity } from './oauth-token.entity.js';

/** When a caller considers its token refreshed enough. */
export type RefreshNeed =
  /** The token must not expire within `leewayMs` (capped at half the token's lifetime). */
  | { kind: 'not-expiring'; leewayMs: number }
  /** The grant must have been written (refreshed) after `since`: keeps idle grants alive. */
  | { kind: 'written-since'; since: Date }
  /** A token newer than the version the caller saw (a forced refresh, or one Google refused). */
  | { kind: 'newer-than'; version: number };

/**
 * The leeway that applies to a token: never more than half the lifetime Google gave it, so a
 * token fresh from Google counts as fresh even when it lives shorter than the configured leeway.
 */
export function effectiveLeewayMs(row: OAuthTokenEntity, leewayMs: number): number {
  if (row.lifetimeSeconds === null) return leewayMs;
  return Math.min(leewayMs, row.lifetimeSeconds * 500);
}

/** Whether a row already satisfies a caller's need, so no refresh is called for. */
export function meets(row: OAuthTokenEntity, need: RefreshNeed, nowMs: number): boolean {
  if (need.kind === 'newer-than') return row.version > need.version;
  if (need.kind === 'written-since') return row.updatedAt > need.since;
  if (row.expiresAt === null) return true;
  return row.expiresAt.getTime() - nowMs > effectiveLeewayMs(row, need.leewayMs);
}

/**
 * Whether a caller that waited on someone else's refresh takes its result: a token that has not
 * expired is good enough, since it is as fresh as Google makes them. Asking again would only
 * start another refresh of the same expiry.
 */
export function acceptsFlightResult(
  row: OAuthTokenEntity,
  need: RefreshNeed,
  nowMs: number,
): boolean {
  if (need.kind !== 'not-expiring') return meets(row, need, nowMs);
  return row.expiresAt === null || row.expiresAt.getTime() > nowMs;
}
