import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';

/** Long enough for any statement of ours; a cap so a generated IN (...) list cannot flood the log. */
const SQL_LOG_LIMIT = 2000;

/** Where the lines go: Nest's logger in the app, the start-up logger before the app exists. */
export interface SqlLogSink {
  warn(message: string): void;
  debug(message: string): void;
}

/**
 * TypeORM's log through the app's logger. Statements are logged without their parameters: those
 * hold session hashes, token ciphertexts and emails.
 */
export class SqlLogger implements TypeOrmLogger {
  constructor(private readonly logger: SqlLogSink = new Logger('Database')) {}

  logQuery(): void {
    // Every statement would be noise, and its parameters secrets.
  }

  logQueryError(error: string | Error, query: string): void {
    const reason = typeof error === 'string' ? error : error.message;
    this.logger.warn(`Query failed: ${oneLine(reason)} | SQL: ${oneLine(query)}`);
  }

  logQuerySlow(timeMs: number, query: string): void {
    this.logger.warn(`Slow query (${timeMs} ms) | SQL: ${oneLine(query)}`);
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.debug(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    if (level === 'warn') this.logger.warn(text);
    else this.logger.debug(text);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, SQL_LOG_LIMIT);
}
