import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { PeriodicTask } from '../common/periodic-task.js';
import { SeenEventsStore } from './seen-events.store.js';

const INTERVAL_MS = 10 * 60_000;

/** Every few minutes, on every instance: the `jti`s of tokens now refused as stale go. */
@Injectable()
export class SeenEventsPruner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Risc');
  private readonly task: PeriodicTask;

  constructor(store: SeenEventsStore) {
    this.task = new PeriodicTask(
      'RISC seen-token pruning',
      INTERVAL_MS,
      async () => {
        const deleted = await store.prune();
        if (deleted > 0) this.logger.debug(`Forgot ${deleted} stale security event ids`);
      },
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }
}
