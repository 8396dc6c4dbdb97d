import { escapeHtml, htmlPage } from '../common/html.js';
import { GrantFailureReason } from '../tokens/grant-failure-reason.js';
import type { TokenStatus } from '../tokens/token-status.js';
import type { UserEntity } from '../users/user.entity.js';

export interface SignedInView {
  user: UserEntity;
  token: TokenStatus | null;
}

export function renderHomePage(view: SignedInView | null): string {
  if (view === null) {
    return htmlPage(
      'Welcome',
      `<h1>Tokenkeep</h1>
<p>Sign in with Google; Tokenkeep keeps your tokens encrypted and fresh.</p>
<p><a class="button" id="sign-in" href="/auth/google">Sign in with Google</a></p>`,
    );
  }
  const { user, token } = view;
  return htmlPage(
    'Signed in',
    `<h1>Signed in as ${escapeHtml(user.name ?? user.email ?? user.googleSub)}</h1>
<p class="muted" id="email">${escapeHtml(user.email ?? '')}</p>
${token ? renderToken(token) : '<p>No Google token is stored.</p>'}
${renderOperations()}
<nav>
<a href="/playground">GraphQL playground</a>
<form method="post" action="/auth/api-token"><button class="button secondary" id="api-token" type="submit">Create an API token</button></form>
<form method="post" action="/auth/disconnect"><button class="button secondary" id="disconnect" type="submit">Disconnect Google</button></form>
<form method="post" action="/auth/logout"><button class="button secondary" id="sign-out" type="submit">Sign out</button></form>
</nav>`,
  );
}

/** Why a grant died, for the person whose grant it was. */
const PLAIN_REASONS: Record<GrantFailureReason, string> = {
  [GrantFailureReason.Revoked]: 'Access was removed in your Google account.',
  [GrantFailureReason.ReauthPolicy]:
    'Your organisation asks you to sign in with Google again from time to time; nothing was revoked.',
  [GrantFailureReason.ExpiredTestingApp]:
    'This app is still in testing at Google, which ends its access after 7 days.',
  [GrantFailureReason.Evicted]:
    'Google keeps only the newest 100 sign-ins of an app per account, and this one was dropped.',
  [GrantFailureReason.Unused]: 'Google ends access that was not used for six months.',
  [GrantFailureReason.ClientMisconfigured]:
    "Google refused this app's own credentials; its operator must fix them.",
  [GrantFailureReason.NoRefreshToken]: 'Google gave no lasting access at sign-in.',
  [GrantFailureReason.Unknown]: 'Google did not say why.',
};

function renderToken(token: TokenStatus): string {
  const why = token.failureReason === null ? '' : ` ${PLAIN_REASONS[token.failureReason]}`;
  const reauth =
    token.state === 'REAUTH_REQUIRED' || token.state === 'REVOKED'
      ? `<p class="error" id="reauth">Google no longer honours this grant.${escapeHtml(why)} <a href="/auth/google">Sign in again</a>.</p>`
      : '';
  const rows: [string, string][] = [
    ['State', token.state],
    ['Scopes', token.scopes.join(' ')],
    ['Expires at', token.expiresAt ? token.expiresAt.toISOString() : 'unknown'],
    ['Expires in', token.expiresInSeconds === null ? 'unknown' : `${token.expiresInSeconds} s`],
    ['Refresh token held', token.hasRefreshToken ? 'yes' : 'no'],
    ['Last refreshed', token.lastRefreshedAt ? token.lastRefreshedAt.toISOString() : 'never'],
    ['Refreshes', String(token.refreshCount)],
  ];
  const body = rows
    .map(([name, value]) => `<tr><th>${name}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('\n');
  return `<h2>Google token</h2>${reauth}<table id="token-status">\n${body}\n</table>`;
}

/** Each GraphQL operation, ready to run in the playground. */
export const READY_MADE_OPERATIONS: [string, string][] = [
  ['profile', '{ profile { sub name email emailVerified picture } }'],
  [
    'tokenStatus',
    '{ tokenStatus { state failureReason scopes expiresAt expiresInSeconds hasRefreshToken lastRefreshedAt refreshCount } }',
  ],
  [
    'validateToken',
    '{ validateToken { valid reason expiresInSeconds scopes audience audienceMatches email } }',
  ],
  ['refreshToken', 'mutation { refreshToken { state expiresAt refreshCount lastRefreshedAt } }'],
  ['me', '{ me { id email name picture createdAt } }'],
];

function renderOperations(): string {
  const items = READY_MADE_OPERATIONS.map(
    ([name, query]) =>
      `<li><a href="/playground?query=${encodeURIComponent(query)}">${name}</a> <code>${escapeHtml(query)}</code></li>`,
  ).join('\n');
  return `<h2>Try the API</h2><ul id="operations">\n${items}\n</ul>`;
}
