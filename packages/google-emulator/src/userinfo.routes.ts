import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorContext } from './emulator-context.js';
import type { EmulatorUser } from './types.js';
import { bearerToken, readParams, routeByShape, sendJson } from './http-util.js';
import { grantsEmail, grantsProfile, hasIdentityScope } from './scopes.js';

type UserinfoShape = 'oidc' | 'legacy';

const USERINFO_PATHS: Record<string, UserinfoShape> = {
  '/v1/userinfo': 'oidc',
  '/oauth2/v3/userinfo': 'oidc',
  '/oauth2/v2/userinfo': 'legacy',
  '/oauth2/v1/userinfo': 'legacy',
  '/userinfo/v2/me': 'legacy',
};

const REALM = 'Bearer realm="https://accounts.google.com/"';
const CREDENTIAL_HELP =
  'Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';

export function registerUserinfoRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  routeByShape(app, USERINFO_PATHS, (shape, request, reply) =>
    handleUserinfo(ctx, shape, request, reply),
  );
}

async function handleUserinfo(
  ctx: EmulatorContext,
  shape: UserinfoShape,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (await ctx.faults.intercept('userinfo', request, reply)) return reply;
  ctx.stats.countUserinfo();
  // passport-google-oauth20 sends ?access_token=, Google's own libraries the Bearer header.
  const token = bearerToken(request) ?? readParams(request).access_token;
  const record = token ? ctx.grants.findAccessToken(token) : undefined;
  const user =
    record && hasIdentityScope(record.scopes) ? ctx.registry.findUser(record.sub) : undefined;
  if (!record || !user) return sendUnauthorized(ctx, reply, shape, token !== undefined);
  const body =
    shape === 'oidc' ? oidcUserinfo(user, record.scopes) : legacyUserinfo(user, record.scopes);
  return sendJson(reply, 200, body);
}

/** OIDC shape (sub, email_verified). */
export function oidcUserinfo(user: EmulatorUser, scopes: readonly string[]): object {
  return {
    sub: user.sub,
    ...(grantsProfile(scopes) ? profileFields(user) : {}),
    ...(grantsEmail(scopes)
      ? { email: user.email, email_verified: user.emailVerified ?? true }
      : {}),
    ...(user.hd ? { hd: user.hd } : {}),
  };
}

/** Legacy Userinfoplus shape (id, verified_email). */
export function legacyUserinfo(user: EmulatorUser, scopes: readonly string[]): object {
  return {
    id: user.sub,
    ...(grantsEmail(scopes)
      ? { email: user.email, verified_email: user.emailVerified ?? true }
      : {}),
    ...(grantsProfile(scopes) ? profileFields(user) : {}),
    ...(user.hd ? { hd: user.hd } : {}),
  };
}

function profileFields(user: EmulatorUser): Record<string, string> {
  const fields: Record<string, string> = { name: user.name };
  if (user.givenName !== undefined) fields.given_name = user.givenName;
  if (user.familyName !== undefined) fields.family_name = user.familyName;
  if (user.picture !== undefined) fields.picture = user.picture;
  return fields;
}

function sendUnauthorized(
  ctx: EmulatorContext,
  reply: FastifyReply,
  shape: UserinfoShape,
  tokenSent: boolean,
): FastifyReply {
  ctx.stats.countError('invalid_token');
  const challenge = tokenSent ? `${REALM}, error="invalid_token"` : REALM;
  const body =
    shape === 'oidc'
      ? { error: 'invalid_request', error_description: 'Invalid Credentials' }
      : { error: { code: 401, message: legacyMessage(tokenSent), status: 'UNAUTHENTICATED' } };
  return sendJson(reply, 401, body, { 'www-authenticate': challenge });
}

function legacyMessage(tokenSent: boolean): string {
  return tokenSent
    ? `Request had invalid authentication credentials. ${CREDENTIAL_HELP}`
    : `Request is missing required authentication credential. ${CREDENTIAL_HELP}`;
}
