import { Inject, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { countAddress } from '../rate-limit/count-address.js';

export const RISC_PATH = '/risc';
/** A SET from Google is about 1 KB; anything near this is not one. */
export const RISC_BODY_LIMIT_BYTES = 16 * 1024;
/** What RFC 8935 says a SET push carries, and what a sender may use instead. */
const SET_MEDIA_TYPES = ['application/secevent+jwt', 'application/jwt'];
const THROTTLER_NAME = 'risc-ip';

/**
 * What keeps the unauthenticated receiver cheap to attack: a per-address limit counted as the
 * request arrives (before its body is read, in the shared rate-limit store), a small body limit,
 * and a parser that hands the SET over as text.
 */
@Injectable()
export class RiscHttpLimits {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Must run before the app is initialised: the limit is an `onRequest` hook of the RISC route
   * alone (other requests do not pay for it), added as Nest registers that route.
   */
  attach(fastify: FastifyInstance): void {
    fastify.addContentTypeParser(
      SET_MEDIA_TYPES,
      { parseAs: 'string', bodyLimit: RISC_BODY_LIMIT_BYTES },
      (_request, body, done) => done(null, body),
    );
    let attached = false;
    fastify.addHook('onRoute', (route) => {
      if (route.url !== RISC_PATH) return;
      const limit = (request: FastifyRequest, reply: FastifyReply) => this.limit(request, reply);
      route.onRequest = [...toArray(route.onRequest), limit];
      attached = true;
    });
    fastify.addHook('onReady', (done) =>
      done(attached ? undefined : new Error(`${RISC_PATH} was registered without its limits`)),
    );
  }

  private async limit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const record = await countAddress(this.storage, request, {
      name: THROTTLER_NAME,
      perWindow: this.config.rateLimits.riscPerMinute,
      windowMs: this.config.rateLimits.windowMs,
    });
    if (record.isBlocked) {
      await reply.code(429).header('Retry-After', String(record.timeToBlockExpire)).send();
      return;
    }
    if (Number(request.headers['content-length'] ?? 0) > RISC_BODY_LIMIT_BYTES)
      await reply.code(413).send();
  }
}

function toArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
