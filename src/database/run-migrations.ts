import { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import type { SqlLogSink } from './sql-logger.js';

/** Any fixed number: the PostgreSQL advisory lock that lets one instance migrate at a time. */
const MIGRATION_LOCK_KEY = 727_101_001;

/** Opens a short-lived data source of `poolSize` connections for one job (start-up checks, CLI commands). */
export async function withDataSource<T>(
  database: DatabaseConfig,
  poolSize: number,
  work: (dataSource: DataSource) => Promise<T>,
  log?: SqlLogSink,
): Promise<T> {
  const dataSource = new DataSource(dataSourceOptions(database, poolSize, log));
  await dataSource.initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Applies pending migrations and returns their names, one instance at a time: instances starting
 * together migrate one after the other and the later ones find nothing to do. On PostgreSQL an
 * advisory lock, which lives on one connection: give it a data source with a pool of one. On
 * SQLite the database's own write lock, held for the whole run.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const migrate = async () => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  };
  return dataSource.options.type === 'postgres'
    ? underAdvisoryLock(dataSource, migrate)
    : underSqliteWriteLock(dataSource, migrate);
}

async function underAdvisoryLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  await dataSource.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    return await work();
  } finally {
    await dataSource.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}

/**
 * One transaction around the whole run, begun IMMEDIATE (see data-source-options.ts), so another
 * process's run waits for this one: even creating the migrations table was a race. TypeORM's
 * migrations then join this transaction; SQLite has one connection, and TypeORM one runner on it.
 */
async function underSqliteWriteLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  // Foreign keys off as TypeORM does for migrations; the pragma is ignored inside a transaction.
  await runner.beforeMigration();
  await runner.startTransaction();
  try {
    const result = await work();
    await runner.commitTransaction();
    return result;
  } catch (error) {
    await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.afterMigration();
  }
}
