import { Inject, Injectable } from '@nestjs/common';
import { PeriodicProvider } from '../common/periodic-task.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { TokenStore } from './token-store.service.js';

const INTERVAL_MS = 3_600_000;
/** Rows per DELETE: short statements, so writers are never held up for long. */
const BATCH = 1000;
/** Per run at most; what is left waits for the next run. */
const MAX_BATCHES = 100;

/**
 * Keeps the token audit trail to TOKEN_EVENTS_RETENTION_DAYS: every hour, on every instance
 * (deleting what another instance already deleted costs nothing), events older than that go,
 * oldest first, in bounded batches through the index on created_at.
 */
@Injectable()
export class TokenEventsPruner extends PeriodicProvider {
  constructor(
    private readonly store: TokenStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super('Token events retention', INTERVAL_MS);
  }

  protected async runOnce(): Promise<void> {
    const deleted = await this.prune();
    if (deleted > 0) this.logger.log(`Deleted ${deleted} token events past their retention`);
  }

  /** Deletes the events past retention (at most MAX_BATCHES batches); returns how many went. */
  async prune(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.tokenEventsRetentionDays * 86_400_000);
    let deleted = 0;
    for (let batch = 0; batch < MAX_BATCHES && !this.task.isStopped; batch++) {
      const count = await this.store.deleteEventsBefore(cutoff, BATCH);
      deleted += count;
      if (count < BATCH) break;
    }
    return deleted;
  }
}
