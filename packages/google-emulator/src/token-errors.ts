/** One answer of Google's token endpoint error catalogue (spec §3.5). */
export interface TokenError {
  status: number;
  body: {
    error: string;
    error_description: string;
    error_uri?: string;
    error_subtype?: string;
  };
}

function tokenError(status: number, error: string, description: string): TokenError {
  return { status, body: { error, error_description: description } };
}

export const TOKEN_ERRORS = {
  malformedCode: () => tokenError(400, 'invalid_grant', 'Malformed auth code.'),
  badCode: () => tokenError(400, 'invalid_grant', 'Bad Request'),
  redirectUriMismatch: () => tokenError(400, 'redirect_uri_mismatch', 'Bad Request'),
  missingVerifier: () => tokenError(400, 'invalid_grant', 'Missing code verifier.'),
  invalidVerifier: () => tokenError(400, 'invalid_grant', 'Invalid code verifier.'),
  verifierNotNeeded: () =>
    tokenError(400, 'invalid_grant', 'code_verifier or verifier is not needed.'),
  expiredOrRevoked: () => tokenError(400, 'invalid_grant', 'Token has been expired or revoked.'),
  unknownClient: () => tokenError(401, 'invalid_client', 'The OAuth client was not found.'),
  wrongSecret: () => tokenError(401, 'invalid_client', 'Unauthorized'),
  otherClientsToken: () => tokenError(401, 'unauthorized_client', 'Unauthorized'),
  deletedClient: () => tokenError(401, 'deleted_client', 'The OAuth client was deleted.'),
  invalidRapt: (): TokenError => ({
    status: 400,
    body: {
      error: 'invalid_grant',
      error_description: 'reauth related error (invalid_rapt)',
      error_uri: 'https://support.google.com/a/answer/9368756',
      error_subtype: 'invalid_rapt',
    },
  }),
  missingSecret: () => tokenError(400, 'invalid_request', 'client_secret is missing.'),
  noClientId: () =>
    tokenError(400, 'invalid_request', 'Could not determine client ID from request.'),
  missingParameter: (name: string) =>
    tokenError(400, 'invalid_request', `Missing required parameter: ${name}`),
  unsupportedGrantType: (grantType: string) =>
    tokenError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`),
};

export const INJECTABLE_TOKEN_ERRORS = {
  invalid_grant: TOKEN_ERRORS.expiredOrRevoked,
  invalid_client: TOKEN_ERRORS.wrongSecret,
  unauthorized_client: TOKEN_ERRORS.otherClientsToken,
  deleted_client: TOKEN_ERRORS.deletedClient,
  invalid_rapt: TOKEN_ERRORS.invalidRapt,
} satisfies Record<string, () => TokenError>;

export type InjectableTokenError = keyof typeof INJECTABLE_TOKEN_ERRORS;
