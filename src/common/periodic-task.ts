import type { Logger } from '@nestjs/common';

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
