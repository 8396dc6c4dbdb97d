import type { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const LOG_AT_MOST_EVERY_MS = 10_000;

/**
 * A shared counter store that may be down (Redis): when it fails, the request is served as if
 * it were under every limit (fail open), the failure is counted, and logged at most every 10 s.
 * Serving without limits for a while beats refusing every user while Redis restarts.
 */
export class FailOpenStorage implements ThrottlerStorage {
  private lastLoggedAt = 0;

  constructor(
    private readonly shared: ThrottlerStorage,
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly onFailure: () => void,
  ) {}

  async increment(
    key: string,
    ttlMs: number,
    limit: number,
    blockDurationMs: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      return await this.shared.increment(key, ttlMs, limit, blockDurationMs, throttlerName);
    } catch (error) {
      this.onFailure();
      this.logNowAndThen(error);
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  private logNowAndThen(error: unknown): void {
    const now = Date.now();
    if (now - this.lastLoggedAt < LOG_AT_MOST_EVERY_MS) return;
    this.lastLoggedAt = now;
    const message = (error as { message?: unknown } | null)?.message;
    const reason = typeof message === 'string' ? message : 'unknown error';
    this.logger.warn(
      `Rate-limit store (Redis) failed, serving without limits until it answers: ${reason}`,
    );
  }
}
