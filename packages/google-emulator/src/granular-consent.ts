import { isSignInScope } from './scopes.js';

/**
 * The scopes the consent page offers as checkboxes. Google's granular consent applies when a
 * request has sign-in scopes and at least one other, or two or more others; sign-in scopes are
 * never a choice, and a lone other scope is granted or denied as a whole.
 */
export function scopeChoices(scopes: readonly string[]): string[] {
  const others = scopes.filter((scope) => !isSignInScope(scope));
  const asksSignIn = others.length < scopes.length;
  return asksSignIn || others.length > 1 ? others : [];
}

/** What the consent form said about scopes. */
export interface ScopeSelection {
  /** The form carried `scope_choice` (a browser submitting the page always does). */
  shown: boolean;
  /** The `granted_scope` values: the boxes left ticked. */
  ticked: readonly string[];
}

export type ConsentOutcome =
  { granted: string[] } | { notRequested: string } | { nothingGranted: true };

/**
 * The canonical scopes the user granted, in request order. A form without any choice (a script
 * posting request_id, sub and decision) grants everything asked.
 */
export function grantedScopes(
  requested: readonly string[],
  selection: ScopeSelection,
): ConsentOutcome {
  if (!selection.shown && selection.ticked.length === 0) return { granted: [...requested] };
  const choices = scopeChoices(requested);
  const stray = selection.ticked.find((scope) => !choices.includes(scope));
  if (stray !== undefined) return { notRequested: stray };
  const granted = requested.filter(
    (scope) => !choices.includes(scope) || selection.ticked.includes(scope),
  );
  return granted.length > 0 ? { granted } : { nothingGranted: true };
}
