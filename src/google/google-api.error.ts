export enum GoogleErrorKind {
  /** The grant is dead (revoked, expired, unknown): only a new sign-in helps. */
  InvalidGrant = 'INVALID_GRANT',
  /** Google does not accept our client id or secret: an operator problem, not the user's. */
  InvalidClient = 'INVALID_CLIENT',
  /** The access token was refused (expired or revoked). */
  InvalidToken = 'INVALID_TOKEN',
  /** Timeout, network failure, 5xx, 429 or a non-JSON error page: worth retrying later. */
  Unavailable = 'UNAVAILABLE',
  /** An answer we cannot use. */
  BadResponse = 'BAD_RESPONSE',
}

/** A failed call to Google, classified. Its message never holds a token. */
export class GoogleApiError extends Error {
  constructor(
    readonly kind: GoogleErrorKind,
    readonly detail: string,
    readonly status?: number,
    /** Google's own `error` code, when it sent one. */
    readonly googleCode?: string,
    /** Google's `error_subtype` (such as `invalid_rapt`), when it sent one. */
    readonly subtype?: string,
  ) {
    super(`${kind}: ${detail}`);
    this.name = 'GoogleApiError';
  }

  get retryable(): boolean {
    return this.kind === GoogleErrorKind.Unavailable;
  }
}

const CLIENT_ERRORS = new Set(['invalid_client', 'unauthorized_client', 'deleted_client']);

/** Reads an error answer of the token endpoint (§3.5 of the spec) into one of our kinds. */
export function classifyTokenEndpointError(status: number, body: string): GoogleApiError {
  const json = parseJsonObject(body);
  const code = typeof json?.error === 'string' ? json.error : undefined;
  const description =
    typeof json?.error_description === 'string' ? json.error_description.slice(0, 200) : '';
  const subtype =
    typeof json?.error_subtype === 'string' ? json.error_subtype.slice(0, 64) : undefined;
  if (code === 'invalid_grant') {
    return new GoogleApiError(
      GoogleErrorKind.InvalidGrant,
      description || code,
      status,
      code,
      subtype,
    );
  }
  if (code && CLIENT_ERRORS.has(code)) {
    return new GoogleApiError(GoogleErrorKind.InvalidClient, description || code, status, code);
  }
  if (json === undefined || status >= 500 || status === 429 || status === 408) {
    return new GoogleApiError(
      GoogleErrorKind.Unavailable,
      `HTTP ${status}${code ? ` ${code}` : ''}`,
      status,
      code,
    );
  }
  return new GoogleApiError(
    GoogleErrorKind.BadResponse,
    `HTTP ${status} ${code ?? ''}`.trim(),
    status,
    code,
  );
}

/** Reads an error answer of an API called with an access token (userinfo, tokeninfo, revoke). */
export function classifyApiError(status: number, body: string): GoogleApiError {
  const json = parseJsonObject(body);
  if (status === 401)
    return new GoogleApiError(GoogleErrorKind.InvalidToken, 'access token refused', status);
  if (json === undefined || status >= 500 || status === 429 || status === 408) {
    return new GoogleApiError(GoogleErrorKind.Unavailable, `HTTP ${status}`, status);
  }
  const code = typeof json.error === 'string' ? json.error : undefined;
  return new GoogleApiError(
    GoogleErrorKind.BadResponse,
    `HTTP ${status} ${code ?? ''}`.trim(),
    status,
    code,
  );
}

export function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
