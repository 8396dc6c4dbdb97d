import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  parseClient,
  parseClockAdvance,
  parseFault,
  parseGrantFilter,
  parseReauthPolicy,
  parseSettings,
  parseUser,
  parseUserReference,
  userView,
  type AdminInput,
} from './admin-input.js';
import type { EmulatorContext } from './emulator-context.js';
import { sendJson } from './http-util.js';
import type { ReauthPolicy } from './reauth-policies.js';
import { registerRiscAdminRoutes } from './risc-admin.routes.js';
import type { EmulatorUser } from './types.js';

export const ADMIN_PREFIX = '/__emulator';

/** Test and benchmark controls; JSON in and out. */
export function registerAdminRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  registerStatsRoutes(app, ctx);
  registerRegistryRoutes(app, ctx);
  registerFaultRoutes(app, ctx);
  registerReauthPolicyRoutes(app, ctx);
  registerGrantRoutes(app, ctx);
  registerRiscAdminRoutes(app, ctx);
  registerControlRoutes(app, ctx);
}

function findUser(
  ctx: EmulatorContext,
  reference: { sub?: string; email?: string },
): EmulatorUser | undefined {
  return reference.sub
    ? ctx.registry.findUser(reference.sub)
    : ctx.registry.findUserByHint(reference.email ?? '');
}

function refuse(reply: FastifyReply, status: number, message: string): FastifyReply {
  return sendJson(reply, status, { error: message });
}

function withInput<T>(
  reply: FastifyReply,
  input: AdminInput<T>,
  use: (value: T) => FastifyReply | Promise<FastifyReply>,
): FastifyReply | Promise<FastifyReply> {
  return 'problem' in input ? refuse(reply, 400, input.problem) : use(input.value);
}

function registerStatsRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.get(`${ADMIN_PREFIX}/stats`, (_request, reply) => sendJson(reply, 200, ctx.stats.snapshot()));
  app.delete(`${ADMIN_PREFIX}/stats`, (_request, reply) => {
    ctx.stats.reset();
    return sendJson(reply, 200, ctx.stats.snapshot());
  });
}

function registerRegistryRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.post(`${ADMIN_PREFIX}/clients`, (request, reply) =>
    withInput(reply, parseClient(request.body), (client) => {
      const outcome = ctx.registry.registerClient(client);
      if (outcome === 'conflict') {
        return refuse(reply, 409, `client ${client.clientId} exists with a different secret`);
      }
      ctx.settings.log(`google-emulator: client ${client.clientId} ${outcome}`);
      const registered = ctx.registry.findClient(client.clientId);
      return sendJson(reply, 201, {
        client_id: client.clientId,
        redirect_uris: [...(registered?.redirectUris ?? [])],
        publishing_status: registered?.publishingStatus,
      });
    }),
  );
  app.get(`${ADMIN_PREFIX}/users`, (_request, reply) =>
    sendJson(reply, 200, { users: ctx.registry.listUsers().map(userView) }),
  );
  app.post(`${ADMIN_PREFIX}/users`, (request, reply) =>
    withInput(reply, parseUser(request.body), (fields) => {
      const { user, created } = ctx.registry.upsertUser(fields);
      return sendJson(reply, created ? 201 : 200, userView(user));
    }),
  );
  app.post(`${ADMIN_PREFIX}/revoke`, (request, reply) =>
    withInput(reply, parseUserReference(request.body), (reference) => {
      const user = findUser(ctx, reference);
      if (!user) return refuse(reply, 404, 'no such user');
      const revokedGrants = ctx.grants.revokeUser(user.sub);
      ctx.settings.log(`google-emulator: revoked ${revokedGrants} grant(s) of ${user.sub}`);
      return sendJson(reply, 200, { revokedGrants });
    }),
  );
}

function registerFaultRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.get(`${ADMIN_PREFIX}/faults`, (_request, reply) =>
    sendJson(reply, 200, { faults: ctx.faults.list() }),
  );
  app.post(`${ADMIN_PREFIX}/faults`, (request, reply) =>
    withInput(reply, parseFault(request.body), (fault) => {
      ctx.faults.add(fault);
      return sendJson(reply, 201, { faults: ctx.faults.list() });
    }),
  );
  app.delete(`${ADMIN_PREFIX}/faults`, (_request, reply) => {
    ctx.faults.clear();
    return sendJson(reply, 200, { faults: [] });
  });
}

function policyView(policy: ReauthPolicy): Record<string, unknown> {
  return {
    sub: policy.sub,
    client_id: policy.clientId ?? null,
    session_length_seconds: policy.sessionLengthSeconds ?? null,
  };
}

function registerReauthPolicyRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const path = `${ADMIN_PREFIX}/reauth-policy`;
  app.get(path, (_request, reply) =>
    sendJson(reply, 200, { policies: ctx.reauth.list().map(policyView) }),
  );
  app.post(path, (request, reply) =>
    withInput(reply, parseReauthPolicy(request.body), (input) => {
      const user = findUser(ctx, input.user);
      if (!user) return refuse(reply, 404, 'no such user');
      if (input.clientId !== undefined && !ctx.registry.findClient(input.clientId)) {
        return refuse(reply, 404, 'no such client');
      }
      const policy: ReauthPolicy = {
        sub: user.sub,
        clientId: input.clientId,
        sessionLengthSeconds: input.sessionLengthSeconds,
        setAfterSequence: ctx.grants.latestSignInSequence,
      };
      ctx.reauth.set(policy);
      ctx.settings.log(`google-emulator: reauthentication policy for ${user.sub}`);
      return sendJson(reply, 201, policyView(policy));
    }),
  );
  app.delete(path, (_request, reply) => {
    ctx.reauth.clear();
    return sendJson(reply, 200, { policies: [] });
  });
}

function registerGrantRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const settingsView = () => ({ refresh_token_limit: ctx.grants.refreshTokenLimit });
  app.get(`${ADMIN_PREFIX}/settings`, (_request, reply) => sendJson(reply, 200, settingsView()));
  app.patch(`${ADMIN_PREFIX}/settings`, (request, reply) =>
    withInput(reply, parseSettings(request.body), (settings) => {
      if (settings.refreshTokenLimit !== undefined) {
        ctx.grants.refreshTokenLimit = settings.refreshTokenLimit;
      }
      return sendJson(reply, 200, settingsView());
    }),
  );
  app.get(`${ADMIN_PREFIX}/grants`, (request, reply) =>
    withInput(reply, parseGrantFilter(request.query), (filter) => {
      const grants = ctx.grants.summaries(filter).map((grant) => ({
        client_id: grant.clientId,
        sub: grant.sub,
        scopes: grant.scopes,
        live_refresh_tokens: grant.liveRefreshTokens,
        refresh_tokens_minted: grant.refreshTokensMinted,
      }));
      return sendJson(reply, 200, { grants });
    }),
  );
}

function registerControlRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.post(`${ADMIN_PREFIX}/clock`, (request, reply) =>
    withInput(reply, parseClockAdvance(request.body), (seconds) => {
      ctx.clock.advance(seconds);
      return sendJson(reply, 200, { offsetSeconds: ctx.clock.offsetSeconds });
    }),
  );
  app.post(`${ADMIN_PREFIX}/keys/rotate`, async (_request, reply) => {
    const kid = await ctx.keys.rotate();
    return sendJson(reply, 201, { kid, published: ctx.keys.jwks().keys.map((key) => key.kid) });
  });
}
