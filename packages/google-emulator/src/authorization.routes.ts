import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  validateAuthorizationRequest,
  type AuthorizationRequest,
  type PageProblem,
} from './authorization-request.js';
import { consentPage } from './consent-page.js';
import type { EmulatorContext } from './emulator-context.js';
import type { EmulatorUser } from './types.js';
import { grantedScopes, scopeChoices } from './granular-consent.js';
import { reauthDue } from './reauth-policies.js';
import { testingLifetimeMs } from './registry.js';
import { errorPage } from './html-pages.js';
import { readList, readParams, sendHtml } from './http-util.js';
import { callbackScope, coversScopes, mergeScopes } from './scopes.js';

const AUTHORIZATION_PATHS = ['/o/oauth2/v2/auth', '/o/oauth2/auth'];
export const CONSENT_PATH = '/signin/oauth/consent';

export function registerAuthorizationRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  for (const path of AUTHORIZATION_PATHS) {
    app.get(path, (request, reply) => handleAuthorization(ctx, request, reply));
  }
  app.post(CONSENT_PATH, (request, reply) => handleConsent(ctx, request, reply));
}

async function handleAuthorization(
  ctx: EmulatorContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (await ctx.faults.intercept('authorization', request, reply)) return reply;
  ctx.stats.countAuthorizationRequest();
  const validation = validateAuthorizationRequest(readParams(request), ctx.registry);
  if ('problem' in validation) return showProblem(ctx, reply, validation.problem);
  const authorization = validation.request;
  if (authorization.silent) return reply.redirect(silentAuthorization(ctx, authorization), 302);
  const requestId = ctx.pending.add(authorization);
  const hinted = authorization.loginHint && ctx.registry.findUserByHint(authorization.loginHint);
  const page = consentPage({
    action: `${ctx.settings.issuer}${CONSENT_PATH}`,
    requestId,
    clientId: authorization.clientId,
    scopes: authorization.scopes,
    scopeChoices: scopeChoices(authorization.scopes),
    users: ctx.registry.listUsers(),
    selectedSub: hinted ? hinted.sub : undefined,
  });
  return sendHtml(reply, 200, page);
}

async function handleConsent(
  ctx: EmulatorContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const params = readParams(request);
  const authorization = params.request_id ? ctx.pending.take(params.request_id) : undefined;
  if (!authorization) {
    return showProblem(ctx, reply, {
      status: 400,
      code: 'invalid_request',
      description: 'This sign-in request is unknown or has expired. Start signing in again.',
    });
  }
  if (params.decision === 'deny') {
    ctx.stats.countError('access_denied');
    return reply.redirect(errorRedirect(authorization, { error: 'access_denied' }), 302);
  }
  const user = params.sub ? ctx.registry.findUser(params.sub) : undefined;
  if (params.decision !== 'allow' || !user) {
    const description = user ? 'decision must be allow or deny' : 'Choose a known account (sub).';
    return showProblem(ctx, reply, { status: 400, code: 'invalid_request', description });
  }
  const outcome = grantedScopes(authorization.scopes, {
    shown: params.scope_choice !== undefined,
    ticked: readList(request, 'granted_scope'),
  });
  if ('notRequested' in outcome) {
    const description = `granted_scope ${outcome.notRequested} was not offered on this page.`;
    return showProblem(ctx, reply, { status: 400, code: 'invalid_request', description });
  }
  if ('nothingGranted' in outcome) {
    ctx.stats.countError('access_denied');
    return reply.redirect(errorRedirect(authorization, { error: 'access_denied' }), 302);
  }
  return reply.redirect(
    grantWithCode(ctx, authorization, user, { prompt: 'consent', granted: outcome.granted }),
    302,
  );
}

/** prompt=none: a code only if this user already granted every scope to this client. */
function silentAuthorization(ctx: EmulatorContext, authorization: AuthorizationRequest): string {
  const hint = authorization.loginHint;
  const user = hint ? ctx.registry.findUserByHint(hint) : ctx.registry.listUsers()[0];
  if (!user) {
    ctx.stats.countError('login_required');
    return errorRedirect(authorization, { error: 'login_required' });
  }
  if (reauthDue(ctx, authorization.clientId, user.sub)) {
    ctx.stats.countError('login_required');
    return errorRedirect(authorization, { error: 'login_required' });
  }
  const granted = ctx.grants.grantedScopes(authorization.clientId, user.sub);
  if (!coversScopes(granted, authorization.scopes)) {
    ctx.stats.countError('interaction_required');
    return errorRedirect(authorization, {
      error_subtype: 'access_denied',
      error: 'interaction_required',
    });
  }
  return grantWithCode(ctx, authorization, user, { prompt: 'none', granted: authorization.scopes });
}

interface Consent {
  /** What Google puts in the callback's `prompt`. */
  prompt: 'consent' | 'none';
  /** Canonical scopes of this request the user granted (granular consent may drop some). */
  granted: string[];
}

/**
 * Records the consent, issues a code and builds Google's success callback URL. With
 * include_granted_scopes the code covers everything granted so far (the combined
 * authorization); otherwise only what this consent granted.
 */
function grantWithCode(
  ctx: EmulatorContext,
  authorization: AuthorizationRequest,
  user: EmulatorUser,
  consent: Consent,
): string {
  const { clientId } = authorization;
  const previously = ctx.grants.grantedScopes(clientId, user.sub);
  const scopes = authorization.includeGrantedScopes
    ? mergeScopes(consent.granted, previously)
    : consent.granted;
  const grantsNewScopes = consent.granted.some((scope) => !previously.includes(scope));
  const grantId = recordConsent(ctx, clientId, user.sub, consent);
  const code = ctx.codes.issue({
    grantId,
    clientId,
    redirectUri: authorization.redirectUri,
    sub: user.sub,
    scopes,
    accessType: authorization.accessType,
    consentForced: authorization.consentForced,
    grantsNewScopes,
    nonce: authorization.nonce,
    codeChallenge: authorization.codeChallenge,
    codeChallengeMethod: authorization.codeChallengeMethod,
  });
  ctx.stats.countCodeIssued();
  const callback = new URL(authorization.redirectUri);
  if (authorization.state !== undefined) callback.searchParams.append('state', authorization.state);
  callback.searchParams.append('iss', ctx.settings.issuer);
  callback.searchParams.append('code', code);
  callback.searchParams.append('scope', callbackScope(authorization.requestedScopes, scopes));
  callback.searchParams.append('authuser', '0');
  if (user.hd) callback.searchParams.append('hd', user.hd);
  callback.searchParams.append('prompt', consent.prompt);
  return callback.toString();
}

/** A shown consent page is a new consent and sign-in; prompt=none only reuses the grant. */
function recordConsent(ctx: EmulatorContext, clientId: string, sub: string, consent: Consent) {
  if (consent.prompt === 'none') return ctx.grants.grantIdOf(clientId, sub);
  const lifetimeMs = testingLifetimeMs(ctx.registry.findClient(clientId));
  const grantId = ctx.grants.recordConsent(clientId, sub, consent.granted, lifetimeMs);
  ctx.grants.recordSignIn(clientId, sub);
  return grantId;
}

function errorRedirect(authorization: AuthorizationRequest, error: Record<string, string>): string {
  const callback = new URL(authorization.redirectUri);
  if (authorization.state !== undefined) callback.searchParams.append('state', authorization.state);
  for (const [name, value] of Object.entries(error)) callback.searchParams.append(name, value);
  return callback.toString();
}

function showProblem(
  ctx: EmulatorContext,
  reply: FastifyReply,
  problem: PageProblem,
): FastifyReply {
  ctx.stats.countError(problem.code);
  return sendHtml(
    reply,
    problem.status,
    errorPage(problem.status, problem.code, problem.description),
  );
}
