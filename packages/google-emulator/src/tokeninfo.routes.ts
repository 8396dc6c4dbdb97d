import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorContext } from './emulator-context.js';
import type { AccessTokenRecord } from './grant-store.js';
import { bearerToken, readParams, routeByShape, sendJson } from './http-util.js';
import { grantsEmail, hasIdentityScope } from './scopes.js';

type TokeninfoShape = 'current' | 'legacy';

const TOKENINFO_PATHS: Record<string, TokeninfoShape> = {
  '/tokeninfo': 'current',
  '/oauth2/v3/tokeninfo': 'current',
  '/oauth2/v2/tokeninfo': 'legacy',
  '/oauth2/v1/tokeninfo': 'legacy',
};

const INVALID_VALUE = { error: 'invalid_token', error_description: 'Invalid Value' };

export function registerTokeninfoRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  routeByShape(app, TOKENINFO_PATHS, (shape, request, reply) =>
    handleTokeninfo(ctx, shape, request, reply),
  );
}

async function handleTokeninfo(
  ctx: EmulatorContext,
  shape: TokeninfoShape,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (await ctx.faults.intercept('tokeninfo', request, reply)) return reply;
  ctx.stats.countTokeninfo();
  const params = readParams(request);
  const info = params.id_token
    ? await idTokenInfo(ctx, params.id_token)
    : accessTokenInfo(ctx, shape, params.access_token ?? bearerToken(request));
  if (!info) {
    ctx.stats.countError('invalid_token');
    return sendJson(reply, 400, INVALID_VALUE);
  }
  return sendJson(reply, 200, info);
}

function accessTokenInfo(
  ctx: EmulatorContext,
  shape: TokeninfoShape,
  token: string | undefined,
): object | undefined {
  const record = token ? ctx.grants.findAccessToken(token) : undefined;
  if (!record) return undefined;
  const expiresIn = Math.max(0, Math.floor((record.expiresAtMs - ctx.clock.nowMs()) / 1000));
  const user = ctx.registry.findUser(record.sub);
  const email = user?.email ?? '';
  const emailVerified = user?.emailVerified ?? true;
  return shape === 'current'
    ? currentShape(record, expiresIn, email, emailVerified)
    : legacyShape(record, expiresIn, email, emailVerified);
}

/** Every value a string, as Google sends them. */
function currentShape(
  record: AccessTokenRecord,
  expiresIn: number,
  email: string,
  emailVerified: boolean,
): Record<string, string> {
  return {
    azp: record.clientId,
    aud: record.clientId,
    ...(hasIdentityScope(record.scopes) ? { sub: record.sub } : {}),
    scope: record.scopes.join(' '),
    exp: String(Math.floor(record.expiresAtMs / 1000)),
    expires_in: String(expiresIn),
    ...(grantsEmail(record.scopes) ? { email, email_verified: String(emailVerified) } : {}),
    access_type: record.accessType,
  };
}

/** v1/v2: numeric expires_in, boolean verified_email. */
function legacyShape(
  record: AccessTokenRecord,
  expiresIn: number,
  email: string,
  emailVerified: boolean,
): object {
  return {
    issued_to: record.clientId,
    audience: record.clientId,
    ...(hasIdentityScope(record.scopes) ? { user_id: record.sub } : {}),
    scope: record.scopes.join(' '),
    expires_in: expiresIn,
    ...(grantsEmail(record.scopes) ? { email, verified_email: emailVerified } : {}),
    access_type: record.accessType,
  };
}

/** The verified payload with numbers and booleans stringified, plus alg, kid and typ. */
async function idTokenInfo(
  ctx: EmulatorContext,
  idToken: string,
): Promise<Record<string, string> | undefined> {
  const verified = await ctx.keys.verify(idToken, ctx.settings.issuer, new Date(ctx.clock.nowMs()));
  if (!verified) return undefined;
  const fields = { ...verified.payload, ...verified.header };
  return Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, String(value)]));
}
