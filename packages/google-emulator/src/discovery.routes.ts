import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorContext } from './emulator-context.js';
import { sendJson } from './http-util.js';

/** Seconds clients may cache the keys (Google counts down to its next rotation). */
export const CERTS_MAX_AGE_SECONDS = 21_600;

export function registerDiscoveryRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.get('/.well-known/openid-configuration', (_request, reply) =>
    sendJson(reply, 200, discoveryDocument(ctx.settings.issuer)),
  );
  const jwks = certsHandler(ctx, () => ctx.keys.jwks());
  app.get('/oauth2/v3/certs', jwks);
  app.get('/oauth2/v2/certs', jwks);
  app.get(
    '/oauth2/v1/certs',
    certsHandler(ctx, () => ctx.keys.pemCertificates()),
  );
}

/** Google's live document (2024 snapshot), every endpoint moved below the issuer. */
export function discoveryDocument(issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/o/oauth2/v2/auth`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/v1/userinfo`,
    revocation_endpoint: `${issuer}/revoke`,
    jwks_uri: `${issuer}/oauth2/v3/certs`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'email', 'profile'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    claims_supported: [
      'aud',
      'email',
      'email_verified',
      'exp',
      'family_name',
      'given_name',
      'iat',
      'iss',
      'name',
      'picture',
      'sub',
    ],
    code_challenge_methods_supported: ['plain', 'S256'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
  };
}

function certsHandler(ctx: EmulatorContext, body: () => object) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    if (await ctx.faults.intercept('certs', request, reply)) return reply;
    const expires = new Date(ctx.clock.nowMs() + CERTS_MAX_AGE_SECONDS * 1000).toUTCString();
    return reply
      .code(200)
      .headers({
        'cache-control': `public, max-age=${CERTS_MAX_AGE_SECONDS}, must-revalidate, no-transform`,
        expires,
      })
      .type('application/json; charset=UTF-8')
      .send(JSON.stringify(body()));
  };
}
