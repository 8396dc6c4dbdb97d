import { once } from 'node:events';
import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { FailOpenStorage } from './fail-open.storage.js';
import { FixedWindowStorage } from './fixed-window.storage.js';

/** How long start-up waits for the first connection before serving without shared limits. */
const REDIS_FIRST_CONNECTION_MS = 2000;

export interface RateLimitStorage {
  storage: ThrottlerStorage;
  /** Where the counters live, for the start-up line and the README's promise. */
  shared: boolean;
  close(): Promise<void>;
}

/**
 * The counters of every rate limit: in Redis when `redisUrl` is set, so every instance counts
 * together; else in this process. A Redis that fails or is slow never holds a request up.
 */
export async function createRateLimitStorage(
  redisUrl: string | null | undefined,
  onRedisFailure: () => void,
  { keyPrefix = 'tokenkeep:', commandTimeoutMs = 250 } = {},
): Promise<RateLimitStorage> {
  if (!redisUrl) {
    return { storage: new FixedWindowStorage(), shared: false, close: () => Promise.resolve() };
  }
  // Loaded only when Redis is configured: an instance counting in process never holds the client.
  const [{ Redis }, { ThrottlerStorageRedisService }] = await Promise.all([
    import('ioredis'),
    import('@nest-lab/throttler-storage-redis'),
  ]);
  const logger = new Logger('RateLimit');
  const redis = new Redis(redisUrl, {
    keyPrefix,
    // Fail at once while disconnected instead of queueing requests behind a reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  // Connection errors are reported through the failing commands; without a listener ioredis
  // would print each one as an unhandled error event.
  redis.on('error', () => {});
  await once(redis, 'ready', { signal: AbortSignal.timeout(REDIS_FIRST_CONNECTION_MS) }).catch(() =>
    logger.warn(
      `Redis at ${redactedUrl(redisUrl)} did not answer within ${REDIS_FIRST_CONNECTION_MS} ms: serving without shared rate limits until it does`,
    ),
  );
  const storage = new FailOpenStorage(
    new ThrottlerStorageRedisService(redis),
    logger,
    onRedisFailure,
  );
  return {
    storage,
    shared: true,
    close: async () => {
      redis.disconnect(false);
      await Promise.resolve();
    },
  };
}

/** The URL without its password, for logs. */
function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
