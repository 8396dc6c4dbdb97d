import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorContext } from './emulator-context.js';
import { basicCredentials, formDecoded, readParams, sendJson, type Params } from './http-util.js';
import type { RegisteredClient } from './registry.js';
import { INJECTABLE_TOKEN_ERRORS, TOKEN_ERRORS, type TokenError } from './token-errors.js';
import { redeemCode, refreshAccessToken, type TokenOutcome } from './token-grants.js';

const TOKEN_PATHS = ['/token', '/oauth2/v4/token', '/o/oauth2/token', '/oauth2/v3/token'];

/** Headers Google sends on every token endpoint answer. */
const NO_CACHE_HEADERS = {
  'cache-control': 'no-cache, no-store, max-age=0, must-revalidate',
  pragma: 'no-cache',
  expires: 'Mon, 01 Jan 1990 00:00:00 GMT',
};

export function registerTokenRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  for (const path of TOKEN_PATHS) {
    app.post(path, (request, reply) => handleToken(ctx, request, reply));
  }
}

async function handleToken(
  ctx: EmulatorContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (await ctx.faults.intercept('token', request, reply)) return reply;
  const params = readParams(request);
  ctx.stats.countTokenGrant(params.grant_type);
  const injected = ctx.faults.takeTokenError();
  const outcome = injected
    ? { error: INJECTABLE_TOKEN_ERRORS[injected]() }
    : await answerTokenRequest(ctx, request, params);
  if ('error' in outcome) {
    ctx.stats.countError(outcome.error.body.error);
    return sendJson(reply, outcome.error.status, outcome.error.body, NO_CACHE_HEADERS);
  }
  return sendJson(reply, 200, outcome.tokens, NO_CACHE_HEADERS);
}

async function answerTokenRequest(
  ctx: EmulatorContext,
  request: FastifyRequest,
  params: Params,
): Promise<TokenOutcome> {
  const grantType = params.grant_type ?? '';
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
    return { error: TOKEN_ERRORS.unsupportedGrantType(grantType) };
  }
  const authentication = authenticateClient(ctx, request, params);
  if ('error' in authentication) return authentication;
  return grantType === 'authorization_code'
    ? redeemCode(ctx, authentication.client, params)
    : refreshAccessToken(ctx, authentication.client, params);
}

/** client_secret_basic when the header is there, otherwise client_secret_post. */
function authenticateClient(
  ctx: EmulatorContext,
  request: FastifyRequest,
  params: Params,
): { client: RegisteredClient } | { error: TokenError } {
  const basic = basicCredentials(request);
  const clientId = basic?.clientId || params.client_id;
  if (!clientId) return { error: TOKEN_ERRORS.noClientId() };
  const client =
    ctx.registry.findClient(clientId) ??
    (basic ? ctx.registry.findClient(formDecoded(clientId)) : undefined);
  if (!client) return { error: TOKEN_ERRORS.unknownClient() };
  const secret = basic?.clientSecret || params.client_secret;
  if (!secret) return { error: TOKEN_ERRORS.missingSecret() };
  const matches =
    secret === client.clientSecret || (basic && formDecoded(secret) === client.clientSecret);
  return matches ? { client } : { error: TOKEN_ERRORS.wrongSecret() };
}
