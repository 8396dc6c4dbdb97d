import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/** Pages load only this app's own scripts; inline styles are allowed for the plain pages and GraphiQL. */
const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'https:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
};

/**
 * helmet's security headers on every response. The middleware is built once: @fastify/helmet
 * rebuilds it (and re-parses the CSP) on every request, which cost about 5% of a GraphQL request.
 */
export function addSecurityHeaders(fastify: FastifyInstance): void {
  const applyHeaders = helmet({ contentSecurityPolicy: { directives: CONTENT_SECURITY_POLICY } });
  fastify.addHook('onRequest', (request, reply, done) => {
    applyHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });
}
