// Writes schema.gql from the code-first schema (run after changing a resolver or model:
// `npm run schema:write`); test/schema.e2e-spec.ts fails while the committed file differs.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { startApp } = await import('../dist/src/app.factory.js');
const { loadConfig } = await import('../dist/src/config/app-config.js');
const { printAppSchema } = await import('../dist/src/graphql/print-schema.js');

const dataDir = await mkdtemp(join(tmpdir(), 'tokenkeep-schema-'));
const running = await startApp(
  loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${dataDir}/schema.sqlite`,
    LOG_LEVEL: 'error',
  }),
);
await writeFile('schema.gql', printAppSchema(running.app));
await running.close();
await rm(dataDir, { recursive: true, force: true });
console.log('wrote schema.gql');
