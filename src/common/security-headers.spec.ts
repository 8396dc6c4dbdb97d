import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import Fastify from 'fastify';
import helmet from 'helmet';
import { addSecurityHeaders, HELMET_OPTIONS } from './security-headers.js';

/** What helmet's own middleware sets on a real response, names lower-cased. */
function headersOfHelmet(): Record<string, unknown> {
  const request = new IncomingMessage(new Socket());
  const response = new ServerResponse(request);
  let error: unknown;
  helmet(HELMET_OPTIONS)(request, response, (failure?: unknown) => (error = failure));
  expect(error).toBeUndefined();
  return { ...response.getHeaders() };
}

describe('addSecurityHeaders', () => {
  const helmetSets = headersOfHelmet();

  it("sets exactly helmet's headers on a route, a 404 and an answer from another hook", async () => {
    const fastify = Fastify();
    addSecurityHeaders(fastify);
    fastify.addHook('onRequest', async (request, reply) => {
      if (request.url === '/refused') await reply.code(403).send({ refused: true });
    });
    fastify.get('/page', (_request, reply) => reply.send('page'));
    for (const url of ['/page', '/nope', '/refused']) {
      const answer = await fastify.inject({ url });
      const securityHeaders = Object.fromEntries(
        Object.entries(answer.headers).filter(([name]) => name in helmetSets),
      );
      expect(securityHeaders).toEqual(helmetSets);
    }
    await fastify.close();
  });

  it('includes the CSP that allows scripts from this app only', () => {
    expect(helmetSets['content-security-policy']).toMatch(/(^|;)script-src 'self'(;|$)/);
    expect(Object.keys(helmetSets).length).toBeGreaterThanOrEqual(12);
  });
});
