import type { Logger } from '@nestjs/common';
import { SignInError, SignInErrorCode } from '../sign-in.error.js';

/** What passport-oauth2 errors carry: TokenError has a Google error `code`, InternalOAuthError the raw answer. */
interface OAuthLibraryError {
  name?: string;
  code?: unknown;
  /** On a TokenError: the HTTP status of the answer (kept by GoogleOidcStrategy). */
  status?: number;
  oauthError?: { statusCode?: number; code?: string };
}

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** A callback passport failed (its 403: the state store refused the state) is an invalid state. */
export function passportFailureToSignInError(info: unknown): SignInError {
  const message = (info as { message?: unknown } | undefined)?.message;
  return new SignInError(
    SignInErrorCode.InvalidState,
    typeof message === 'string' ? message : 'the sign-in state was refused',
  );
}

/** Turns an error passport met during the code exchange into what the person and the logs should see. */
export function passportErrorToSignInError(failure: unknown, logger: Logger): Error {
  if (failure instanceof SignInError) return failure;
  const error = failure as OAuthLibraryError | undefined;
  if (error?.name === 'TokenError') {
    if (error.code === 'invalid_grant') {
      return new SignInError(
        SignInErrorCode.CodeRejected,
        'the token endpoint answered invalid_grant',
      );
    }
    if (isTransientStatus(error.status)) {
      return new SignInError(
        SignInErrorCode.UpstreamUnavailable,
        `the token endpoint failed (${error.status})`,
      );
    }
    const code = typeof error.code === 'string' ? error.code.slice(0, 64) : 'an error';
    logger.error(
      `Google token endpoint refused our client (${code}): check GOOGLE_CLIENT_ID/SECRET`,
    );
    return new SignInError(SignInErrorCode.ProviderError, `the token endpoint answered ${code}`);
  }
  const status = error?.oauthError?.statusCode;
  const networkCode = error?.oauthError?.code;
  if (
    status === undefined ||
    isTransientStatus(status) ||
    TRANSIENT_NETWORK_CODES.has(networkCode ?? '')
  ) {
    return new SignInError(
      SignInErrorCode.UpstreamUnavailable,
      `the token endpoint failed (${status ?? networkCode ?? 'no answer'})`,
    );
  }
  return new SignInError(
    SignInErrorCode.ProviderError,
    `the token endpoint answered HTTP ${status}`,
  );
}

function isTransientStatus(status: number | undefined): boolean {
  return status !== undefined && (status >= 500 || status === 429);
}
