import type { EmulatorUser } from './types.js';
import { htmlPage } from './html-pages.js';
import { escapeHtml } from './http-util.js';

export interface ConsentPageInput {
  /** Absolute URL the form posts to. */
  action: string;
  requestId: string;
  clientId: string;
  scopes: readonly string[];
  /** Scopes offered with a checkbox (granular consent); the others are granted as a whole. */
  scopeChoices: readonly string[];
  users: readonly EmulatorUser[];
  selectedSub: string | undefined;
}

/**
 * Account chooser and consent in one plain form, so scripts can submit it:
 * hidden `request_id`, radio `sub` per user, a checkbox `granted_scope` per scope the user may
 * leave out (with a hidden `scope_choice`, so "everything unticked" can be told from a script
 * that posts no choice at all), and a `decision` button (allow or deny).
 */
export function consentPage(input: ConsentPageInput): string {
  const checkedSub = input.selectedSub ?? input.users[0]?.sub;
  const accounts = input.users.map((user) => accountChoice(user, user.sub === checkedSub));
  const noAccounts = '<p>No accounts: add one with POST /__emulator/users.</p>';
  const wholeScopes = input.scopes.filter((scope) => !input.scopeChoices.includes(scope));
  const body = [
    '<h1>Sign in with Google (emulator)</h1>',
    `<p><strong>${escapeHtml(input.clientId)}</strong> wants to access your Google Account:</p>`,
    `<ul>${wholeScopes.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('')}</ul>`,
    `<form method="post" action="${escapeHtml(input.action)}">`,
    `<input type="hidden" name="request_id" value="${escapeHtml(input.requestId)}">`,
    '<fieldset><legend>Choose an account</legend>',
    accounts.length > 0 ? accounts.join('\n') : noAccounts,
    '</fieldset>',
    ...scopeChoiceFields(input.scopeChoices),
    '<button type="submit" name="decision" value="allow">Allow</button>',
    '<button type="submit" name="decision" value="deny">Deny</button>',
    '</form>',
  ].join('\n');
  return htmlPage('Sign in - Google Accounts', body);
}

function scopeChoiceFields(choices: readonly string[]): string[] {
  if (choices.length === 0) return [];
  const boxes = choices.map(
    (scope) =>
      `<label><input type="checkbox" name="granted_scope" value="${escapeHtml(scope)}" checked> ${escapeHtml(scope)}</label>`,
  );
  return [
    '<fieldset><legend>Select what it can access</legend>',
    '<input type="hidden" name="scope_choice" value="shown">',
    ...boxes,
    '</fieldset>',
  ];
}

function accountChoice(user: EmulatorUser, checked: boolean): string {
  const label = `${escapeHtml(user.name)} &lt;${escapeHtml(user.email)}&gt;`;
  const checkedAttribute = checked ? ' checked' : '';
  return `<label><input type="radio" name="sub" value="${escapeHtml(user.sub)}"${checkedAttribute}> ${label}</label>`;
}
