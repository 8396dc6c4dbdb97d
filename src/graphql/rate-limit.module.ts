import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { GraphqlAddressLimit } from './address-rate-limit.js';
import { credentialTracker, isGraphql, isSignInRoute, RateLimitGuard } from './rate-limit.guard.js';

/**
 * Per-session and per-IP limits on GraphQL, per-IP limits on sign-in. The per-IP GraphQL limit
 * counts each request as it arrives (GraphqlAddressLimit); the others run as a guard. Counters
 * live in each instance's memory: with N instances behind a balancer a client gets up to N times
 * the limit.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
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
