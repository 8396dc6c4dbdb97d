import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

/**
 * During shutdown, answers carry `Connection: close`, so keep-alive clients let go as soon as their
 * request is done and the server can close without waiting out their idle timeout.
 */
@Injectable()
export class ConnectionDrainer implements BeforeApplicationShutdown {
  private closing = false;

  beforeApplicationShutdown(): void {
    this.closing = true;
  }

  attach(fastify: FastifyInstance): void {
    fastify.addHook('onSend', (_request, reply, payload, done) => {
      if (this.closing) reply.header('connection', 'close');
      done(null, payload);
    });
  }
}
