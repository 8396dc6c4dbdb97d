export const USERINFO_EMAIL = 'https://www.googleapis.com/auth/userinfo.email';
export const USERINFO_PROFILE = 'https://www.googleapis.com/auth/userinfo.profile';

const SHORT_NAME_URLS: Record<string, string> = {
  email: USERINFO_EMAIL,
  profile: USERINFO_PROFILE,
};
const SHORT_NAMES = new Set(['openid', 'email', 'profile']);
const IDENTITY_SCOPES = new Set(['openid', 'email', 'profile', USERINFO_EMAIL, USERINFO_PROFILE]);
/** Google's sign-in (basic profile) scopes, canonical form: never offered as a choice. */
const SIGN_IN_SCOPES = new Set(['openid', USERINFO_EMAIL, USERINFO_PROFILE]);
const EXTRA_KNOWN_SCOPES = new Set(['https://mail.google.com/']);
const GOOGLE_API_SCOPE = /^https:\/\/www\.googleapis\.com\/auth\/[A-Za-z0-9._\-/]+$/;

/** Splits a space-separated scope parameter, dropping duplicates and empty entries. */
export function parseScopeParam(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return [...new Set(raw.split(' ').filter((scope) => scope !== ''))];
}

export function isKnownScope(scope: string): boolean {
  return SHORT_NAMES.has(scope) || EXTRA_KNOWN_SCOPES.has(scope) || GOOGLE_API_SCOPE.test(scope);
}

/**
 * What Google lists in a token's `scope`: short names replaced by their URLs, and `openid` (last)
 * whenever any identity scope was asked for.
 */
export function canonicalScopes(requested: readonly string[]): string[] {
  const canonical = requested.map((scope) => SHORT_NAME_URLS[scope] ?? scope);
  const withoutOpenid = [...new Set(canonical)].filter((scope) => scope !== 'openid');
  const wantsIdentity = requested.some((scope) => IDENTITY_SCOPES.has(scope));
  return wantsIdentity ? [...withoutOpenid, 'openid'] : withoutOpenid;
}

/** Union of two canonical lists, keeping `openid` last. */
export function mergeScopes(first: readonly string[], second: readonly string[]): string[] {
  const merged = [...new Set([...first, ...second])];
  const hasOpenid = merged.includes('openid');
  const rest = merged.filter((scope) => scope !== 'openid');
  return hasOpenid ? [...rest, 'openid'] : rest;
}

/** The callback's `scope`: the short names the app asked for, then every canonical URL granted. */
export function callbackScope(requested: readonly string[], granted: readonly string[]): string {
  const shortNames = requested.filter((scope) => SHORT_NAMES.has(scope));
  const others = granted.filter((scope) => !shortNames.includes(scope));
  return [...shortNames, ...others].join(' ');
}

export function coversScopes(granted: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((scope) => granted.includes(scope));
}

export function grantsOpenid(scopes: readonly string[]): boolean {
  return scopes.includes('openid');
}

export function grantsEmail(scopes: readonly string[]): boolean {
  return scopes.includes(USERINFO_EMAIL);
}

export function grantsProfile(scopes: readonly string[]): boolean {
  return scopes.includes(USERINFO_PROFILE);
}

export function hasIdentityScope(scopes: readonly string[]): boolean {
  return scopes.some((scope) => IDENTITY_SCOPES.has(scope));
}

/** A canonical scope Google grants with sign-in itself (openid, userinfo.email, userinfo.profile). */
export function isSignInScope(scope: string): boolean {
  return SIGN_IN_SCOPES.has(scope);
}

/** True when every scope is a sign-in scope (Testing-mode refresh tokens then do not expire). */
export function onlySignInScopes(scopes: readonly string[]): boolean {
  return scopes.every(isSignInScope);
}
