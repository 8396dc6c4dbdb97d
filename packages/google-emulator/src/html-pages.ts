import { escapeHtml } from './http-util.js';

export function htmlPage(title: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}',
    'label{display:block;margin:.4rem 0}button{margin:1rem .5rem 0 0;padding:.4rem 1.2rem}</style>',
    '</head>',
    `<body>${body}</body>`,
    '</html>',
  ].join('\n');
}

/** Google's "Access blocked" page: `Error NNN: code` and a sentence; it never redirects. */
export function errorPage(status: number, code: string, description: string): string {
  return htmlPage(
    `Error ${status}: ${code}`,
    [
      '<h1>Access blocked: authorization error</h1>',
      `<p>${escapeHtml(description)}</p>`,
      `<p><strong>Error ${status}: ${escapeHtml(code)}</strong></p>`,
    ].join('\n'),
  );
}

/** What Google served on throttled requests: an HTML page, deliberately not JSON. */
export function rateLimitPage(): string {
  return htmlPage(
    'Rate Limit Exceeded',
    '<h1>403. That’s an error.</h1>\n<p>Rate Limit Exceeded</p>',
  );
}

/** Google's HTML 404 (for example GET /revoke). */
export function notFoundPage(path: string): string {
  return htmlPage(
    'Error 404 (Not Found)!!1',
    `<h1>404. That’s an error.</h1>\n<p>The requested URL <code>${escapeHtml(path)}</code> was not found on this server.</p>`,
  );
}
