import { parseScopes } from '../../google/scopes.js';
import { SignInError, SignInErrorCode } from '../sign-in.error.js';

const MAX_SCOPE_PARAMETER_LENGTH = 2048;

/**
 * The scopes a sign-in asks Google for: the sign-in scopes plus those of `?scope=`, each of which
 * must be in the allow-list (canonical forms compared). Anything else is refused before a write.
 */
export function scopesToAsk(
  scopeParameter: unknown,
  signInScopes: readonly string[],
  allowedScopes: readonly string[],
): string[] {
  if (scopeParameter === undefined) return parseScopes(signInScopes);
  if (typeof scopeParameter !== 'string' || scopeParameter.length > MAX_SCOPE_PARAMETER_LENGTH) {
    throw new SignInError(SignInErrorCode.ScopeNotAllowed, 'the scope parameter is malformed');
  }
  const allowed = new Set(allowedScopes);
  const requested = parseScopes(scopeParameter);
  const refused = requested.filter((scope) => !allowed.has(scope));
  if (refused.length > 0) {
    throw new SignInError(
      SignInErrorCode.ScopeNotAllowed,
      `scopes outside GOOGLE_ALLOWED_SCOPES requested: ${refused.join(' ').slice(0, 200)}`,
    );
  }
  return parseScopes([...signInScopes, ...requested]);
}
