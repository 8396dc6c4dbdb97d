import type { Logger } from '@nestjs/common';
import type { PassportOutcome } from './passport-runner.js';
import { SignInError, SignInErrorCode } from './sign-in.error.js';

/** What passport-oauth2 errors carry: TokenError has a Google error `code`, InternalOAuthError the raw answer. */
interface OAuthLibraryError {
  name?: string;
  code?: string;
  oauthError?: { statusCode?: number; code?: string };
}

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** Turns a sign-in that passport did not complete into the error the person and the logs should see. */
export function passportFailureToSignInError(
  outcome: PassportOutcome<unknown>,
  logger: Logger,
): Error {
  if (outcome.kind === 'fail')
    return new SignInError(SignInErrorCode.InvalidState, outcome.message);
  if (outcome.kind === 'redirect') {
    return new SignInError(
      SignInErrorCode.InvalidState,
      'the callback carried no authorization code',
    );
  }
  if (outcome.kind !== 'error') return new Error('unexpected passport outcome');
  const error = outcome.error as OAuthLibraryError;
  if (error instanceof SignInError) return error;
  if (error?.name === 'TokenError') {
    if (error.code === 'invalid_grant') {
      return new SignInError(
        SignInErrorCode.CodeRejected,
        'the token endpoint answered invalid_grant',
      );
    }
    logger.error(
      `Google token endpoint refused our client (${error.code}): check GOOGLE_CLIENT_ID/SECRET`,
    );
    return new SignInError(
      SignInErrorCode.ProviderError,
      `the token endpoint answered ${error.code}`,
    );
  }
  const status = error?.oauthError?.statusCode;
  const networkCode = error?.oauthError?.code;
  if (
    status === undefined ||
    status >= 500 ||
    status === 429 ||
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
