import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import {
  RATE_LIMIT_STORAGE,
  RateLimitStorageModule,
} from '../rate-limit/rate-limit-storage.module.js';
import type { RateLimitStorage } from '../rate-limit/rate-limit-storage.js';
import { GraphqlAddressLimit } from './address-rate-limit.js';
import { credentialTracker, isGraphql, isSignInRoute, RateLimitGuard } from './rate-limit.guard.js';

/**
 * Per-session and per-IP limits on GraphQL, per-IP limits on sign-in. The per-IP GraphQL limit
 * counts each request as it arrives (GraphqlAddressLimit); the others run as a guard. Counters
 * live in Redis when REDIS_URL is set (one limit across every instance), else in this process.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [APP_CONFIG, RATE_LIMIT_STORAGE],
      useFactory: (config: AppConfig, counters: RateLimitStorage) => ({
        storage: counters.storage,
        errorMessage: 'Too many requests; slow down',
        throttlers: [
          {
            name: 'graphql-session',
            ttl: config.rateLimits.windowMs,
            limit: config.rateLimits.graphqlPerMinute,
            skipIf: (context) => !isGraphql(context),
            getTracker: credentialTracker(config.session.cookieName),
          },
          {
            name: 'sign-in',
            ttl: config.rateLimits.windowMs,
            limit: config.rateLimits.signInPerMinute,
            skipIf: (context) => !isSignInRoute(context),
          },
        ],
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }, GraphqlAddressLimit],
})
export class RateLimitModule {}
