import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DatabaseFileWatch } from '../database/database-file.watch.js';

/**
 * Each readiness check answers within this, so a probe gets a 503 in about 2 s instead of
 * hanging while the database does not answer (a network partition holds queries indefinitely).
 */
const CHECK_DEADLINE_MS = 2000;

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly databaseFile: DatabaseFileWatch,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  // GET /health/live is served by Fastify directly: see liveness.ts.

  /**
   * Ready for traffic: the database answers, every migration is applied, and (SQLite) the file
   * the app has open is still the one on disk and can be written.
   */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.databaseFileUsable(),
      () => this.database.pingCheck('database', { timeout: CHECK_DEADLINE_MS }),
      () => this.migrationsApplied(),
    ]);
  }

  private databaseFileUsable(): HealthIndicatorResult {
    const indicator = this.indicators.check('database-file');
    const problem = this.databaseFile.check();
    return problem ? indicator.down({ message: problem }) : indicator.up();
  }

  private async migrationsApplied(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('migrations');
    try {
      const pending = await withDeadline(this.dataSource.showMigrations(), CHECK_DEADLINE_MS);
      return pending ? indicator.down({ message: 'migrations are pending' }) : indicator.up();
    } catch {
      return indicator.down({ message: 'migrations could not be read' });
    }
  }
}

/** The promise's value, or a rejection once `ms` have passed (the work itself is left to finish). */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
