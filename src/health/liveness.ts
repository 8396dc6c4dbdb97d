import type { FastifyInstance } from 'fastify';

const LIVENESS_PATH = '/health/live';
/** What @nestjs/terminus answers for a check with no indicators: the body probes already read. */
const ALIVE = JSON.stringify({ status: 'ok', info: {}, error: {}, details: {} });

/**
 * `GET /health/live`: the process is up and serving HTTP. Served by Fastify itself, with the
 * hooks every route gets (security headers, request id, request log line), but without Nest's
 * guards, interceptors and Terminus: they cost 15x a bare answer and decide nothing here.
 */
export function serveLiveness(fastify: FastifyInstance): void {
  fastify.get(LIVENESS_PATH, (_request, reply) => {
    void reply
      .header('cache-control', 'no-cache, no-store, must-revalidate')
      .type('application/json; charset=utf-8')
      .send(ALIVE);
  });
}
