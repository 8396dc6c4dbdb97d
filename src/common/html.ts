const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/** A whole server-rendered page: inline styles only, no script, no external asset. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Tokenkeep</title>
<style>
body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f;line-height:1.5}
h1{font-size:1.5rem}table{border-collapse:collapse}td,th{text-align:left;padding:.25rem .75rem .25rem 0;vertical-align:top}
.button{display:inline-block;padding:.5rem 1rem;border:1px solid #1a73e8;border-radius:.25rem;color:#fff;background:#1a73e8;text-decoration:none;font:inherit;cursor:pointer}
.button.secondary{background:#fff;color:#1a73e8}.error{color:#b00020}.muted{color:#666}
nav a,nav form{margin-right:1rem;display:inline-block}
</style>
</head>
<body>
${body}
</body>
</html>
`;
}
