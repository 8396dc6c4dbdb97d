import {
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';

/**
 * Runs `work` every `intervalMs` (never two runs at once) until stopped; stopping waits for the
 * run under way, so shutdown never cuts a refresh or a revocation in half.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly work: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** Starts after a random part of the interval, so instances started together spread out. */
  start(): void {
    this.schedule(Math.random() * this.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.work()
        .catch((error: unknown) =>
          this.logger.warn(`${this.name} failed: ${(error as Error).message}`),
        )
        .finally(() => {
          if (!this.stopped) this.schedule(this.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}

/**
 * A provider that runs `runOnce` as a PeriodicTask while the app runs: from bootstrap (when
 * `shouldRun()`) until shutdown begins, before the HTTP server and the database close, so a run
 * under way can finish.
 */
export abstract class PeriodicProvider
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  protected readonly logger: Logger;
  protected readonly task: PeriodicTask;

  constructor(taskName: string, intervalMs: number) {
    this.logger = new Logger(new.target.name);
    this.task = new PeriodicTask(taskName, intervalMs, () => this.runOnce(), this.logger);
  }

  protected abstract runOnce(): Promise<void>;

  protected shouldRun(): boolean {
    return true;
  }

  onApplicationBootstrap(): void {
    if (this.shouldRun()) this.task.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }
}
