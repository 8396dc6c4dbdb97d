import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorContext } from './emulator-context.js';
import { notFoundPage } from './html-pages.js';
import { readParams, sendHtml, sendJson } from './http-util.js';

const REVOKE_PATHS = ['/revoke', '/o/oauth2/revoke'];
/** Only the old accounts.google.com path ever took GET. */
const LEGACY_GET_PATH = '/o/oauth2/revoke';

export function registerRevokeRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const handler = (request: FastifyRequest, reply: FastifyReply) =>
    handleRevoke(ctx, request, reply);
  for (const path of REVOKE_PATHS) app.post(path, handler);
  app.get(LEGACY_GET_PATH, handler);
  // Google's answer to GET on the new host, seen in 2019.
  app.get('/revoke', (request, reply) => sendHtml(reply, 404, notFoundPage(request.url)));
}

async function handleRevoke(
  ctx: EmulatorContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (await ctx.faults.intercept('revoke', request, reply)) return reply;
  ctx.stats.countRevocation();
  const token = readParams(request).token;
  if (!token || !ctx.grants.revokeGrantOfToken(token)) {
    ctx.stats.countError('invalid_token');
    return sendJson(reply, 400, {
      error: 'invalid_token',
      error_description: 'Token expired or revoked',
    });
  }
  return sendJson(reply, 200, {});
}
