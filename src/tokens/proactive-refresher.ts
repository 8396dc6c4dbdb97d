import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { PeriodicProvider } from '../common/periodic-task.js';
import type { RefreshNeed } from './refresh-need.js';
import { TokenRefresher } from './token-refresher.js';
import { TokenStore } from './token-store.service.js';

export interface SweepResult {
  due: number;
  refreshed: number;
  skipped: number;
  failed: number;
}

const PARALLEL_REFRESHES = 4;
const MAX_BATCHES_PER_SWEEP = 10;

/**
 * Refreshes tokens before they expire, so user requests never wait for Google, and refreshes
 * grants left idle for long so Google's six-month rule never kills them. Safe on every instance
 * at once: a token whose lease another instance holds is skipped, never waited for.
 */
@Injectable()
export class ProactiveRefresher extends PeriodicProvider {
  constructor(
    private readonly store: TokenStore,
    private readonly refresher: TokenRefresher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super('Proactive refresh', config.proactiveRefresh.intervalMs);
  }

  protected override shouldRun(): boolean {
    return this.config.proactiveRefresh.enabled;
  }

  protected async runOnce(): Promise<void> {
    const result = await this.sweep();
    if (result.due > 0) this.logger.log(`Proactive refresh: ${JSON.stringify(result)}`);
  }

  /** One pass over what is due now; batches until nothing is due or the sweep's batch budget is spent. */
  async sweep(now = new Date()): Promise<SweepResult> {
    const { windowSeconds, batchSize, keepaliveDays } = this.config.proactiveRefresh;
    const result: SweepResult = { due: 0, refreshed: 0, skipped: 0, failed: 0 };
    const expiringNeed: RefreshNeed = { kind: 'not-expiring', leewayMs: windowSeconds * 1000 };
    for (let batch = 0; batch < MAX_BATCHES_PER_SWEEP && !this.task.isStopped; batch++) {
      const due = await this.store.findExpiring(
        new Date(now.getTime() + windowSeconds * 1000),
        new Date(),
        batchSize,
      );
      const outcomes = await this.refreshAll(due, expiringNeed);
      add(result, outcomes);
      if (due.length < batchSize || outcomes.every((outcome) => outcome !== 'refreshed')) break;
    }
    const idleSince = new Date(now.getTime() - keepaliveDays * 86_400_000);
    add(
      result,
      await this.refreshAll(await this.store.findIdle(idleSince, batchSize), {
        kind: 'written-since',
        since: idleSince,
      }),
    );
    return result;
  }

  private async refreshAll(
    userIds: string[],
    need: RefreshNeed,
  ): Promise<('refreshed' | 'skipped' | 'failed')[]> {
    const outcomes: ('refreshed' | 'skipped' | 'failed')[] = [];
    const queue = [...userIds];
    const worker = async () => {
      for (
        let userId = queue.shift();
        userId !== undefined && !this.task.isStopped;
        userId = queue.shift()
      ) {
        outcomes.push(await this.refresher.refreshIfFree(userId, need));
      }
    };
    await Promise.all(Array.from({ length: PARALLEL_REFRESHES }, worker));
    return outcomes;
  }
}

function add(result: SweepResult, outcomes: ('refreshed' | 'skipped' | 'failed')[]): void {
  result.due += outcomes.length;
  for (const outcome of outcomes) result[outcome] += 1;
}
