import { escapeHtml, htmlPage } from '../common/html.js';

export function renderApiTokenPage(token: string | null): string {
  if (token === null) {
    return htmlPage(
      'Sign in first',
      '<h1>Sign in first</h1><p><a class="button" href="/auth/google">Sign in with Google</a></p>',
    );
  }
  return htmlPage(
    'API token',
    `<h1>Your API token</h1>
<p>Copy it now: it is shown only once. It acts as you until it expires or you sign out everywhere.</p>
<p><code id="api-token">${escapeHtml(token)}</code></p>
<pre>curl -H 'Authorization: Bearer ${escapeHtml(token)}' -H 'Content-Type: application/json' \\
  -d '{"query":"{ tokenStatus { state expiresInSeconds } }"}' /graphql</pre>
<p><a href="/">Home</a></p>`,
  );
}
