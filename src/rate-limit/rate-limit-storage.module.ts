import { Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { createRateLimitStorage, type RateLimitStorage } from './rate-limit-storage.js';

export const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');

/** Where every rate limit counts: Redis (REDIS_URL, shared by instances) or this process. */
@Module({
  providers: [
    {
      provide: RATE_LIMIT_STORAGE,
      inject: [APP_CONFIG, MetricsService],
      useFactory: async (config: AppConfig, metrics: MetricsService) => {
        const { redisUrl, redisKeyPrefix, redisCommandTimeoutMs } = config.rateLimits;
        const storage = await createRateLimitStorage(
          redisUrl,
          () => metrics.rateLimitStoreFailures.inc(),
          { keyPrefix: redisKeyPrefix, commandTimeoutMs: redisCommandTimeoutMs },
        );
        new Logger('RateLimit').log(
          storage.shared
            ? 'Rate limits count in Redis, shared by every instance'
            : 'Rate limits count in this process (set REDIS_URL to share them between instances)',
        );
        return storage;
      },
    },
  ],
  exports: [RATE_LIMIT_STORAGE],
})
export class RateLimitStorageModule implements OnApplicationShutdown {
  constructor(@Inject(RATE_LIMIT_STORAGE) private readonly storage: RateLimitStorage) {}

  async onApplicationShutdown(): Promise<void> {
    await this.storage.close();
  }
}
