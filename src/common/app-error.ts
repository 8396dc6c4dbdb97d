/** Every way a request can fail that a client may act on; each maps to one GraphQL code and HTTP status. */
export enum AppErrorCode {
  Unauthenticated = 'UNAUTHENTICATED',
  ReauthRequired = 'REAUTH_REQUIRED',
  UpstreamUnavailable = 'UPSTREAM_UNAVAILABLE',
  BadUserInput = 'BAD_USER_INPUT',
  Forbidden = 'FORBIDDEN',
  RateLimited = 'RATE_LIMITED',
  InsufficientScope = 'INSUFFICIENT_SCOPE',
  Internal = 'INTERNAL',
}

/** A domain failure with a stable code; its message is safe to show (never a token or a raw upstream body). */
export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details: Record<string, string | number | boolean | string[]> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** Google (or the database) failed in a way worth retrying; nothing was written. */
export function upstreamUnavailable(message: string): AppError {
  return new AppError(AppErrorCode.UpstreamUnavailable, message, { retryable: true });
}
