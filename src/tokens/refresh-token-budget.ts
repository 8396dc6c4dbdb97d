import { Inject, Injectable, Logger } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { MetricsService } from '../metrics/metrics.service.js';

/** Google keeps this many live refresh tokens per user and client, and silently drops older ones. */
export const GOOGLE_REFRESH_TOKEN_LIMIT = 100;

/**
 * Watches Google's budget of refresh tokens per user: every mint is counted in a histogram, and a
 * user whose count reaches REFRESH_TOKEN_BUDGET_WARN_AT is logged (never a token) and counted.
 */
@Injectable()
export class RefreshTokenBudget {
  private readonly logger = new Logger(RefreshTokenBudget.name);
  private readonly mintedCounts: Histogram;
  private readonly nearLimit: Counter;
  private readonly warnAt: number;

  constructor(metrics: MetricsService, @Inject(APP_CONFIG) config: AppConfig) {
    this.warnAt = config.google.refreshTokenWarnAt;
    this.mintedCounts = new Histogram({
      name: 'tokenkeep_refresh_tokens_minted',
      help: 'At each refresh token Google mints, how many it has minted for that user so far (Google keeps the newest 100 per user and client)',
      buckets: [1, 2, 5, 10, 25, 50, 75, 90, 95, 100],
      registers: [metrics.registry],
    });
    this.nearLimit = new Counter({
      name: 'tokenkeep_refresh_token_budget_warnings_total',
      help: 'Refresh tokens minted for users who already reached REFRESH_TOKEN_BUDGET_WARN_AT mints',
      registers: [metrics.registry],
    });
  }

  /** Google minted a refresh token for the user; `count` is how many it has minted for them so far. */
  noteMinted(userId: string, count: number): void {
    this.mintedCounts.observe(count);
    if (count < this.warnAt) return;
    this.nearLimit.inc();
    this.logger.warn(
      `User ${userId} nears Google's refresh-token budget: ${count} refresh tokens minted (Google keeps the newest ${GOOGLE_REFRESH_TOKEN_LIMIT} per user and client and silently drops older ones); look for what keeps asking prompt=consent or rotating`,
    );
  }
}
