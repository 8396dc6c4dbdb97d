import { registerEnumType } from '@nestjs/graphql';

/** GrantFailureReason as GraphQL shows it (names equal to the stored values). */
export enum GrantFailureReasonModel {
  REVOKED = 'REVOKED',
  REAUTH_POLICY = 'REAUTH_POLICY',
  EXPIRED_TESTING_APP = 'EXPIRED_TESTING_APP',
  EVICTED = 'EVICTED',
  UNUSED = 'UNUSED',
  CLIENT_MISCONFIGURED = 'CLIENT_MISCONFIGURED',
  NO_REFRESH_TOKEN = 'NO_REFRESH_TOKEN',
  UNKNOWN = 'UNKNOWN',
}

registerEnumType(GrantFailureReasonModel, {
  name: 'GrantFailureReason',
  description: 'Why Google no longer refreshes a grant, as far as its answer tells.',
  valuesMap: {
    REVOKED: { description: 'The user (or an admin) revoked access: sign in again.' },
    REAUTH_POLICY: {
      description:
        'A Google Workspace session-control policy wants the user to sign in again; the grant was not revoked.',
    },
    EXPIRED_TESTING_APP: {
      description:
        'The OAuth consent screen is in Testing: Google ends refresh tokens 7 days after issue. Sign in again, or publish the app.',
    },
    EVICTED: {
      description:
        'Google dropped this refresh token past its limit of 100 live ones per user and client: sign in again.',
    },
    UNUSED: { description: 'The refresh token was not used for six months: sign in again.' },
    CLIENT_MISCONFIGURED: {
      description:
        "Google refused the app's OAuth client (id or secret), not the grant: the operator must fix it; the grant is kept.",
    },
    NO_REFRESH_TOKEN: { description: 'No refresh token is held: sign in again.' },
    UNKNOWN: { description: "Google's answer does not say why: sign in again." },
  },
});
