import type { FastifyInstance } from 'fastify';
import { AppErrorCode } from '../common/app-error.js';
import { isForeignOrigin } from '../common/origin.js';

/**
 * Refuses GraphQL requests a browser sends from another site: an `Origin` header, when present,
 * must be our own. Requests without one (curl, servers) pass; CSRF prevention covers the rest.
 */
export function refuseForeignOrigins(fastify: FastifyInstance, publicUrl: string): void {
  const ownOrigin = new URL(publicUrl).origin;
  // Callback style: most requests pass, without the promise an async hook costs each of them.
  fastify.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (!request.url.startsWith('/graphql') || !isForeignOrigin(origin, ownOrigin)) return done();
    void reply.code(403).send({
      data: null,
      errors: [
        {
          message: `Requests from ${origin} are not allowed`,
          extensions: { code: AppErrorCode.Forbidden },
        },
      ],
    });
  });
}
