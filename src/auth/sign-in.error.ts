export enum SignInErrorCode {
  ConsentDenied = 'CONSENT_DENIED',
  InvalidState = 'INVALID_STATE',
  CodeRejected = 'CODE_REJECTED',
  InvalidIdToken = 'INVALID_ID_TOKEN',
  DomainNotAllowed = 'DOMAIN_NOT_ALLOWED',
  ProviderError = 'PROVIDER_ERROR',
  UpstreamUnavailable = 'UPSTREAM_UNAVAILABLE',
  ScopeNotAllowed = 'SCOPE_NOT_ALLOWED',
}

/** HTTP status and the sentence a person sees for each way a sign-in can fail. */
export const SIGN_IN_ERRORS: Record<SignInErrorCode, { status: number; title: string }> = {
  [SignInErrorCode.ConsentDenied]: { status: 403, title: 'Sign-in was cancelled at Google.' },
  [SignInErrorCode.InvalidState]: {
    status: 400,
    title: 'This sign-in link is invalid, expired or was already used.',
  },
  [SignInErrorCode.CodeRejected]: { status: 400, title: 'Google rejected the sign-in code.' },
  [SignInErrorCode.InvalidIdToken]: {
    status: 401,
    title: 'The identity Google returned could not be verified.',
  },
  [SignInErrorCode.DomainNotAllowed]: {
    status: 403,
    title: 'This Google account is not from a domain allowed to sign in here.',
  },
  [SignInErrorCode.ProviderError]: {
    status: 502,
    title: 'Google reported an error during sign-in.',
  },
  [SignInErrorCode.ScopeNotAllowed]: {
    status: 400,
    title: 'This app may not ask Google for one of the scopes requested.',
  },
  [SignInErrorCode.UpstreamUnavailable]: {
    status: 503,
    title: 'Google could not be reached. Try again in a moment.',
  },
};

/** A sign-in that ended without a session; `reason` is for logs and the page, never a secret. */
export class SignInError extends Error {
  constructor(
    readonly code: SignInErrorCode,
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
    this.name = 'SignInError';
  }
}
