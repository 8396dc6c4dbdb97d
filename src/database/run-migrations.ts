import { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';

/** Any fixed number: the PostgreSQL advisory lock that lets one instance migrate at a time. */
const MIGRATION_LOCK_KEY = 727_101_001;

/**
 * Applies pending migrations. On PostgreSQL it holds an advisory lock on its single connection, so
 * instances starting together migrate one after the other and the later ones find nothing to do.
 * Returns the names of the migrations it applied.
 */
export async function runMigrations(database: DatabaseConfig): Promise<string[]> {
  const dataSource = new DataSource(dataSourceOptions(database, 1));
  await dataSource.initialize();
  const postgres = database.type === 'postgres';
  try {
    if (postgres) await dataSource.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    if (postgres) await dataSource.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.destroy();
  }
}
