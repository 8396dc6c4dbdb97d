import { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';

/** Any fixed number: the PostgreSQL advisory lock that lets one instance migrate at a time. */
const MIGRATION_LOCK_KEY = 727_101_001;

/** Opens a short-lived data source of `poolSize` connections for one job (start-up checks, CLI commands). */
export async function withDataSource<T>(
  database: DatabaseConfig,
  poolSize: number,
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const dataSource = new DataSource(dataSourceOptions(database, poolSize));
  await dataSource.initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Applies pending migrations and returns their names. On PostgreSQL it holds an advisory lock,
 * which lives on one connection: give it a data source with a pool of one. Instances starting
 * together then migrate one after the other and the later ones find nothing to do.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const postgres = dataSource.options.type === 'postgres';
  if (postgres) await dataSource.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    if (postgres) await dataSource.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}
