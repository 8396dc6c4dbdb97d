import { escapeHtml, htmlPage } from '../../common/html.js';

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
<p>Copy it now: it is shown only once. It acts as you until it expires, until the session that made it ends (sign out, or its time runs out), or until you sign out everywhere.</p>
<p><code id="api-token">${escapeHtml(token)}</code></p>
<pre>curl -H 'Authorization: Bearer ${escapeHtml(token)}' -H 'Content-Type: application/json' \\
  -d '{"query":"{ tokenStatus { state expiresInSeconds } }"}' /graphql</pre>
<nav>
<a href="/">Home</a>
<form method="post" action="/auth/logout-everywhere"><button class="button secondary" id="sign-out-everywhere" type="submit">Sign out everywhere</button></form>
</nav>`,
  );
}
