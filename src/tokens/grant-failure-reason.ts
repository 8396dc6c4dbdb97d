/**
 * Why a grant died, as far as Google's answer tells: a person reads it to know what to do next.
 * Stored on the grant, carried by tokenStatus, token events, error extensions and metrics.
 */
export enum GrantFailureReason {
  /** `invalid_grant` after the user or an admin revoked access (or a RISC tokens-revoked event). */
  Revoked = 'REVOKED',
  /** `invalid_grant` with `error_subtype: invalid_rapt`: a Workspace reauthentication policy; not revoked. */
  ReauthPolicy = 'REAUTH_POLICY',
  /** The app's consent screen is in Testing: refresh tokens end 7 days after they were issued. */
  ExpiredTestingApp = 'EXPIRED_TESTING_APP',
  /** Google dropped the oldest refresh token past its budget of live tokens per user and client. */
  Evicted = 'EVICTED',
  /** Google expires refresh tokens unused for six months. */
  Unused = 'UNUSED',
  /** `invalid_client` / `unauthorized_client`: our client id or secret is wrong, not the user's grant. */
  ClientMisconfigured = 'CLIENT_MISCONFIGURED',
  /** No refresh token is held, so nothing can renew the access token. */
  NoRefreshToken = 'NO_REFRESH_TOKEN',
  Unknown = 'UNKNOWN',
}
