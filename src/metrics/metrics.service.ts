import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

export type RefreshTrigger = 'request' | 'proactive';

/** Prometheus metrics of one app instance (its own registry, so several apps can share a process). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly refreshes = new Counter({
    name: 'tokenkeep_refreshes_total',
    help: 'Refreshes this instance performed at Google, by what asked and how they ended',
    labelNames: ['trigger', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly refreshDuration = new Histogram({
    name: 'tokenkeep_refresh_duration_seconds',
    help: 'Time of a refresh at Google, retries included, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly cacheLookups = new Counter({
    name: 'tokenkeep_cache_lookups_total',
    help: 'Sessions and token rows looked up in memory (PostgreSQL only), by cache and whether memory held them',
    labelNames: ['cache', 'result'] as const,
    registers: [this.registry],
  });

  readonly requestRefreshWaits = new Counter({
    name: 'tokenkeep_request_refresh_waits_total',
    help: 'Requests that had to wait for a refresh (their own or another caller’s) before getting a token',
    registers: [this.registry],
  });

  readonly leaseWaits = new Counter({
    name: 'tokenkeep_lease_waits_total',
    help: 'Times a caller waited for another instance holding the refresh lease',
    registers: [this.registry],
  });

  readonly googleErrors = new Counter({
    name: 'tokenkeep_google_errors_total',
    help: 'Failed calls to Google, by error kind or Google error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly grantsDead = new Counter({
    name: 'tokenkeep_grants_dead_total',
    help: 'Grants this instance marked dead (REAUTH_REQUIRED), by why (GrantFailureReason)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly refreshRefusals = new Counter({
    name: 'tokenkeep_refresh_refusals_total',
    help: 'Refreshes Google refused for good (invalid_grant or a client error), by why; CLIENT_MISCONFIGURED leaves the grant alive',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly graphqlOperations = new Counter({
    name: 'tokenkeep_graphql_operations_total',
    help: 'GraphQL root fields resolved, by name and outcome (ok or the error code)',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly rateLimitStoreFailures = new Counter({
    name: 'tokenkeep_rate_limit_store_failures_total',
    help: 'Requests served without rate limits because the shared counter store (Redis) failed',
    registers: [this.registry],
  });

  constructor(@InjectDataSource() dataSource: DataSource) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'tokenkeep_tokens',
      help: 'Stored grants by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        const rows = await dataSource.query<{ state: string; count: string | number }[]>(
          'SELECT state, COUNT(*) AS count FROM oauth_tokens GROUP BY state',
        );
        this.reset();
        for (const row of rows) this.set({ state: row.state }, Number(row.count));
      },
    });
  }
}
