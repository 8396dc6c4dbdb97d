import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface PlaygroundAsset {
  contentType: string;
  body: Buffer | string;
}

const require = createRequire(import.meta.url);

/** A file inside an installed package, found through its package.json (UMD files are not in `exports`). */
function packageFile(packageName: string, path: string, contentType: string): PlaygroundAsset {
  const root = dirname(require.resolve(`${packageName}/package.json`));
  return { contentType, body: readFileSync(join(root, path)) };
}

/** Starts GraphiQL with the query given as `?query=`, sending requests with the session cookie. */
const BOOT_SCRIPT = `
const fromLink = new URLSearchParams(window.location.search).get('query');
const fetcher = GraphiQL.createFetcher({ url: '/graphql', headers: { 'x-requested-with': 'graphiql' } });
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery: '{ me { email name } tokenStatus { state expiresInSeconds } }',
    // A ready-made query from a link on / wins over the one GraphiQL remembers.
    ...(fromLink ? { query: fromLink } : {}),
  }),
);
`;

/** GraphiQL 4 and React 18 from this app's own node_modules: the playground needs no CDN and works offline. */
export function loadPlaygroundAssets(): Map<string, PlaygroundAsset> {
  return new Map([
    [
      'react.js',
      packageFile('react', 'umd/react.production.min.js', 'text/javascript; charset=utf-8'),
    ],
    [
      'react-dom.js',
      packageFile('react-dom', 'umd/react-dom.production.min.js', 'text/javascript; charset=utf-8'),
    ],
    ['graphiql.js', packageFile('graphiql', 'graphiql.min.js', 'text/javascript; charset=utf-8')],
    ['graphiql.css', packageFile('graphiql', 'graphiql.min.css', 'text/css; charset=utf-8')],
    ['boot.js', { contentType: 'text/javascript; charset=utf-8', body: BOOT_SCRIPT }],
  ]);
}

export const PLAYGROUND_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>GraphQL playground · Tokenkeep</title>
<link rel="stylesheet" href="/playground/assets/graphiql.css">
<style>body{margin:0;height:100vh}#graphiql{height:100vh}</style>
</head>
<body>
<div id="graphiql">Loading the playground…</div>
<script src="/playground/assets/react.js"></script>
<script src="/playground/assets/react-dom.js"></script>
<script src="/playground/assets/graphiql.js"></script>
<script src="/playground/assets/boot.js"></script>
</body>
</html>
`;
