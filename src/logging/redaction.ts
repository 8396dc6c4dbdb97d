/** Query parameters whose values are secrets or single-use credentials. */
const SECRET_PARAMETERS = new Set([
  'code',
  'state',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'client_secret',
  'code_verifier',
  'nonce',
]);

/** Field names that hold secrets: blanked at the top of a log line and one level below. */
const SECRET_FIELDS = [
  'access_token',
  'refresh_token',
  'id_token',
  'accessToken',
  'refreshToken',
  'idToken',
  'client_secret',
  'clientSecret',
  'code_verifier',
  'token',
  'password',
  'tokenKeyring',
  // A failed query's values (TypeORM's QueryFailedError): hashes, ciphertexts, emails.
  'parameters',
  'detail',
];

/** Object paths pino blanks out wherever they appear in a log line. */
export const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
  '*.driverError.parameters',
  '*.driverError.detail',
];

/** The URL with the value of every secret query parameter replaced, so callbacks can be logged. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  for (const name of [...params.keys()]) {
    if (SECRET_PARAMETERS.has(name.toLowerCase())) params.set(name, '[redacted]');
  }
  return `${url.slice(0, queryStart)}?${params.toString()}`;
}
