import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

export type DatabaseKind = 'sqlite' | 'postgres';

/** A database of its own for one test file, on SQLite or on the PostgreSQL of TEST_DATABASE_URL. */
export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Every row of every table, and on SQLite the raw files too: what a stolen backup would hold. */
  dump(): Promise<string>;
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  return kind === 'sqlite' ? createSqlite() : createPostgres();
}

async function createSqlite(): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'tokenkeep-sqlite-'));
  const path = join(dir, 'test.sqlite');
  const open = () => new Database(path, { fileMustExist: true });
  return {
    kind: 'sqlite',
    url: `sqlite:${path}`,
    query: <Row>(sql: string, params: unknown[] = []) => {
      const db = open();
      try {
        const statement = db.prepare(sql);
        return Promise.resolve(
          (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as Row[],
        );
      } finally {
        db.close();
      }
    },
    dump: async () => {
      const files = await Promise.all(
        ['', '-wal'].map((suffix) =>
          readFile(path + suffix).then(
            (b) => b.toString('latin1'),
            () => '',
          ),
        ),
      );
      return files.join('\n');
    },
    drop: () => rm(dir, { recursive: true, force: true }),
  };
}

async function createPostgres(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set: run the tests with `npm test`');
  const name = `tokenkeep_test_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const query = <Row>(sql: string, params: unknown[] = []) =>
    withClient(url.toString(), async (client) => (await client.query(sql, params)).rows as Row[]);
  return {
    kind: 'postgres',
    url: url.toString(),
    query,
    dump: async () => {
      const tables = await query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
      );
      const rows = await Promise.all(
        tables.map(({ table_name }) => query(`SELECT * FROM "${table_name}"`)),
      );
      return JSON.stringify(rows);
    },
    drop: () =>
      withClient(serverUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      ).then(() => {}),
  };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Makes every stored token look expired to the app (Google still honours it): a deterministic "time passed". */
export async function expireStoredTokens(database: TestDatabase): Promise<void> {
  await database.query(
    database.kind === 'postgres'
      ? "UPDATE oauth_tokens SET expires_at = now() - interval '1 second'"
      : "UPDATE oauth_tokens SET expires_at = strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 second')",
  );
}
