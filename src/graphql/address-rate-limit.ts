import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppErrorCode } from '../common/app-error.js';
import { trustsEveryAddress, type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { countAddress } from '../rate-limit/count-address.js';
import { GRAPHQL_PATH } from './graphql-api.module.js';

const THROTTLER_NAME = 'graphql-ip';

/**
 * The per-address GraphQL limit, counted as a request arrives: before its body is read and its
 * document parsed, so a flood of costly documents is refused for the price of a counter. It
 * shares the throttler's storage (and so its counters across instances, where that is shared).
 */
@Injectable()
export class GraphqlAddressLimit implements OnModuleInit {
  private readonly logger = new Logger('RateLimit');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (trustsEveryAddress(this.config.trustProxy)) this.logger.warn(TRUST_EVERY_PROXY_WARNING);
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, reply) => this.count(request, reply));
  }

  private async count(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.routeOptions.url !== GRAPHQL_PATH) return;
    const limit = this.config.rateLimits.graphqlPerMinute * 4;
    const record = await countAddress(this.storage, request, {
      name: THROTTLER_NAME,
      perWindow: limit,
      windowMs: this.config.rateLimits.windowMs,
    });
    if (record.isBlocked) {
      await reply
        .code(429)
        .header('Retry-After', String(record.timeToBlockExpire))
        .send({
          data: null,
          errors: [
            {
              message: 'Too many requests; slow down',
              extensions: { code: AppErrorCode.RateLimited },
            },
          ],
        });
      return;
    }
    reply.header(`X-RateLimit-Limit-${THROTTLER_NAME}`, limit);
    reply.header(`X-RateLimit-Remaining-${THROTTLER_NAME}`, Math.max(0, limit - record.totalHits));
    reply.header(`X-RateLimit-Reset-${THROTTLER_NAME}`, record.timeToExpire);
  }
}

export const TRUST_EVERY_PROXY_WARNING =
  'TRUST_PROXY trusts every address: every X-Forwarded-For entry is believed, so any client can name its own address and pass every per-address rate limit. Set the number of proxies in front of the app (such as 1) or their addresses/CIDRs instead; production refuses it.';
