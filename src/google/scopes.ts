/** Google answers the short sign-in scopes with their full URLs; compare scopes in this form. */
const CANONICAL: Readonly<Record<string, string>> = {
  email: 'https://www.googleapis.com/auth/userinfo.email',
  profile: 'https://www.googleapis.com/auth/userinfo.profile',
};

/** The scopes Google never lets a user untick and that Testing-mode expiry spares. */
const BASIC_PROFILE_SCOPES = new Set(['openid', CANONICAL.email, CANONICAL.profile]);

/** How long Google keeps a refresh token of an app in Testing status (unless only basic scopes). */
export const TESTING_REFRESH_TOKEN_LIFETIME_MS = 7 * 24 * 3600_000;

export function canonicalScope(scope: string): string {
  return CANONICAL[scope] ?? scope;
}

/** A space-separated scope list (or a list of them) as canonical scopes, each once, in order. */
export function parseScopes(value: string | readonly string[] | null | undefined): string[] {
  const parts = typeof value === 'string' ? [value] : (value ?? []);
  const scopes = parts.flatMap((part) => part.split(/\s+/)).filter(Boolean);
  return [...new Set(scopes.map(canonicalScope))];
}

/** The union of scope lists, canonical, in order of first appearance. */
export function unionScopes(...lists: (string | readonly string[] | null | undefined)[]): string[] {
  return parseScopes(lists.flatMap((list) => parseScopes(list)));
}

/** Scopes of `wanted` that `granted` lacks (both compared in canonical form). */
export function missingScopes(
  wanted: string | readonly string[] | null | undefined,
  granted: string | readonly string[] | null | undefined,
): string[] {
  const have = new Set(parseScopes(granted));
  return parseScopes(wanted).filter((scope) => !have.has(scope));
}

/** True when every scope is one of openid, email and profile (so Testing-mode expiry does not apply). */
export function onlyBasicProfileScopes(scopes: string | readonly string[]): boolean {
  return parseScopes(scopes).every((scope) => BASIC_PROFILE_SCOPES.has(scope));
}

/** The sign-in URL that asks Google for these scopes on top of what the user granted already. */
export function scopeRequestUrl(publicUrl: string, scopes: readonly string[]): string {
  return `${publicUrl}/auth/google?${new URLSearchParams({ scope: scopes.join(' ') }).toString()}`;
}
