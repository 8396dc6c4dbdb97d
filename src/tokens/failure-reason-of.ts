import { GrantFailureReason } from './grant-failure-reason.js';

const DAY_MS = 24 * 3600 * 1000;
/** Google ends Testing-mode refresh tokens 7 days after issue. */
export const TESTING_APP_REFRESH_TOKEN_MS = 7 * DAY_MS;
/** Google ends refresh tokens unused for six months (taken as 183 days). */
export const UNUSED_REFRESH_TOKEN_MS = 183 * DAY_MS;

/** Scopes whose refresh tokens do not expire in Testing mode (Google's basic profile scopes). */
const BASIC_SCOPES = new Set([
  'openid',
  'email',
  'profile',
  'https://www.googleapis.com/auth/userinfo.email',
  'https://www.googleapis.com/auth/userinfo.profile',
]);
const CLIENT_ERRORS = new Set(['invalid_client', 'unauthorized_client', 'deleted_client']);
const REAUTH_SUBTYPES = new Set(['invalid_rapt', 'rapt_required']);

/** Google refused our OAuth client, not the user's grant. */
export function isClientMisconfiguration(googleCode: string | null | undefined): boolean {
  return googleCode !== null && googleCode !== undefined && CLIENT_ERRORS.has(googleCode);
}

/** What Google answered to a refresh (never a token). */
export interface GoogleRefusal {
  /** Google's `error` code. */
  error: string;
  /** Google's `error_subtype`, when sent. */
  subtype?: string;
  /** Google's `error_description`, when sent. */
  description?: string;
}

/** What we know of the grant besides Google's answer. */
export interface GrantFacts {
  now: Date;
  publishingStatus: 'production' | 'testing';
  /** The scopes the grant holds. */
  scopes: readonly string[];
  /** When the refresh token was issued (at the latest); null when not known. */
  refreshTokenIssuedAt: Date | null;
  /** When the refresh token was last used; null when it never was. */
  lastRefreshedAt: Date | null;
  /**
   * Whether Google still accepts the grant's current access token: revoking a grant kills every
   * token of it, evicting the oldest refresh token kills only that one. Null when not asked.
   */
  accessTokenAccepted: boolean | null;
}

/**
 * Why Google refused a refresh, as far as its answer and what we know tell apart. Google answers
 * revocation, eviction and both expiries alike ("Token has been expired or revoked."): those are
 * told apart by time and by whether the access token still works, else UNKNOWN.
 */
export function failureReasonOf(refusal: GoogleRefusal, facts: GrantFacts): GrantFailureReason {
  if (isClientMisconfiguration(refusal.error)) return GrantFailureReason.ClientMisconfigured;
  if (refusal.error !== 'invalid_grant') return GrantFailureReason.Unknown;
  if (isReauthPolicy(refusal)) return GrantFailureReason.ReauthPolicy;
  if (expiredAsTestingApp(facts)) return GrantFailureReason.ExpiredTestingApp;
  if (unusedTooLong(facts)) return GrantFailureReason.Unused;
  if (facts.accessTokenAccepted === true) return GrantFailureReason.Evicted;
  if (facts.accessTokenAccepted === false) return GrantFailureReason.Revoked;
  return GrantFailureReason.Unknown;
}

function isReauthPolicy({ subtype, description }: GoogleRefusal): boolean {
  if (subtype !== undefined && REAUTH_SUBTYPES.has(subtype)) return true;
  return description !== undefined && /invalid_rapt|rapt_required/i.test(description);
}

function expiredAsTestingApp(facts: GrantFacts): boolean {
  if (facts.publishingStatus !== 'testing' || facts.refreshTokenIssuedAt === null) return false;
  if (facts.scopes.every((scope) => BASIC_SCOPES.has(scope))) return false;
  return facts.now.getTime() - facts.refreshTokenIssuedAt.getTime() >= TESTING_APP_REFRESH_TOKEN_MS;
}

/** A new refresh token counts as a use: the idle time runs from the later of issue and last refresh. */
function unusedTooLong(facts: GrantFacts): boolean {
  const uses = [facts.lastRefreshedAt, facts.refreshTokenIssuedAt].filter((at) => at !== null);
  if (uses.length === 0) return false;
  const lastUsedMs = Math.max(...uses.map((at) => at.getTime()));
  return facts.now.getTime() - lastUsedMs >= UNUSED_REFRESH_TOKEN_MS;
}
