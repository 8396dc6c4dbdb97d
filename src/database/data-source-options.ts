import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config.js';
import { LoginStateEntity } from '../auth/google/login-state.entity.js';
import { SessionEntity } from '../sessions/session.entity.js';
import { OAuthTokenEntity } from '../tokens/oauth-token.entity.js';
import { TokenEventEntity } from '../tokens/token-event.entity.js';
import { UserEntity } from '../users/user.entity.js';
import { InitialSchema1764403200000 } from '../../migrations/1764403200000-initial-schema.js';
import { RefreshCooldown1764489600000 } from '../../migrations/1764489600000-refresh-cooldown.js';
import { PendingRevocations1764576000000 } from '../../migrations/1764576000000-pending-revocations.js';
import { DueTokenIndexes1764662400000 } from '../../migrations/1764662400000-due-token-indexes.js';
import { SessionParents1764748800000 } from '../../migrations/1764748800000-session-parents.js';
import { TokenLifetime1764752400000 } from '../../migrations/1764752400000-token-lifetime.js';
import { TokenEventsCreatedAt1764756000000 } from '../../migrations/1764756000000-token-events-created-at.js';
import { GrantFailureReason1764842400000 } from '../../migrations/1764842400000-grant-failure-reason.js';
import { RequestedScopes1764846000000 } from '../../migrations/1764846000000-requested-scopes.js';
import { TokenEventReason1764853200000 } from '../../migrations/1764853200000-token-event-reason.js';
import { CacheInvalidation1764860400000 } from '../../migrations/1764860400000-cache-invalidation.js';
import { RiscSeenEvents1764849600000 } from '../../migrations/1764849600000-risc-seen-events.js';
import { SeenEventEntity } from '../risc/seen-event.entity.js';
import { SqlLogger, type SqlLogSink } from './sql-logger.js';
import { PendingRevocationEntity } from '../tokens/pending-revocation.entity.js';

export const ENTITIES = [
  UserEntity,
  OAuthTokenEntity,
  TokenEventEntity,
  SessionEntity,
  LoginStateEntity,
  PendingRevocationEntity,
  SeenEventEntity,
];
export const MIGRATIONS = [
  InitialSchema1764403200000,
  RefreshCooldown1764489600000,
  PendingRevocations1764576000000,
  DueTokenIndexes1764662400000,
  SessionParents1764748800000,
  TokenLifetime1764752400000,
  TokenEventsCreatedAt1764756000000,
  GrantFailureReason1764842400000,
  RequestedScopes1764846000000,
  RiscSeenEvents1764849600000,
  TokenEventReason1764853200000,
  CacheInvalidation1764860400000,
];

/** TypeORM options for either database; schema changes only ever come from MIGRATIONS. */
export function dataSourceOptions(
  database: DatabaseConfig,
  poolSize = 10,
  log?: SqlLogSink,
): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logger: new SqlLogger(log),
  } as const;
  if (database.type === 'postgres') {
    return {
      ...common,
      type: 'postgres',
      url: database.url,
      extra: { max: poolSize, connectionTimeoutMillis: 5000 },
    };
  }
  if (database.path !== ':memory:') createPrivately(database.path);
  return {
    ...common,
    type: 'better-sqlite3',
    database: database.path,
    prepareDatabase: (db: SqliteConnection) => {
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      beginTransactionsImmediately(db);
    },
  };
}

/**
 * Makes the database's folder (0700) and an empty database file (0600) when they are missing:
 * SQLite would create the file 0644, readable by every local user, and gives its -wal and -shm
 * files the mode of the database file. Existing files keep their mode.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** How long a writer waits for another process's transaction before failing with SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

interface SqliteConnection {
  pragma(sql: string): unknown;
  prepare(sql: string): unknown;
}

/**
 * TypeORM opens transactions with a deferred `BEGIN`: when two processes share the file, the one
 * that reads first and then writes cannot wait for the write lock and fails at once with
 * "database is locked". `BEGIN IMMEDIATE` takes the write lock up front, where busy_timeout
 * applies, so writers from every process queue instead.
 */
function beginTransactionsImmediately(db: SqliteConnection): void {
  const prepare = db.prepare.bind(db);
  db.prepare = (sql: string) =>
    prepare(sql === 'BEGIN TRANSACTION' ? 'BEGIN IMMEDIATE TRANSACTION' : sql);
}
