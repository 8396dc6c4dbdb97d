import type { FastifyInstance } from 'fastify';
import { AppErrorCode } from '../common/app-error.js';
import { isForeignOrigin } from '../common/origin.js';

/**
 * Refuses GraphQL requests a browser sends from another site: an `Origin` header, when present,
 * must be our own. Requests without one (curl, servers) pass; CSRF prevention covers the rest.
 */
export function refuseForeignOrigins(fastify: FastifyInstance, publicUrl: string): void {
  const ownOrigin = new URL(publicUrl).origin;
  fastify.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/graphql')) return;
    const origin = request.headers.origin;
    if (!isForeignOrigin(origin, ownOrigin)) return;
    await reply.code(403).send({
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
