import type { FastifyInstance, FastifyReply } from 'fastify';
import type { EmulatorContext } from './emulator-context.js';
import { sendJson } from './http-util.js';
import {
  DEFAULT_SET_TYP,
  RISC_EVENT_TYPES,
  issSubSubject,
  refreshTokenSubject,
} from './risc-events.js';
import { parseReceiver, parseRiscEvent, type RiscEventInput } from './risc-input.js';
import type { DeliveryRecord, RiscReceiver, SecurityEvent } from './risc-transmitter.js';

const RISC_ADMIN = '/__emulator/risc';

type Prepared = { event: SecurityEvent } | { status: number; problem: string };

/** Admin side of the RISC transmitter: receivers, pushing events, the delivery log. */
export function registerRiscAdminRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  registerReceiverRoutes(app, ctx);
  registerEventRoutes(app, ctx);
}

function refuse(reply: FastifyReply, status: number, message: string): FastifyReply {
  return sendJson(reply, status, { error: message });
}

export function receiverView(receiver: RiscReceiver): Record<string, unknown> {
  return {
    id: receiver.id,
    url: receiver.url,
    client_id: receiver.clientId ?? null,
    events_requested: receiver.eventsRequested ?? null,
    status: receiver.status,
  };
}

function deliveryView(delivery: DeliveryRecord): Record<string, unknown> {
  return {
    receiver_id: delivery.receiverId,
    url: delivery.url,
    jti: delivery.jti,
    aud: delivery.aud,
    event_type: delivery.eventType,
    sub: delivery.sub,
    client_id: delivery.clientId,
    set: delivery.set,
    status: delivery.status,
    response_body: delivery.responseBody,
    error: delivery.error,
    delivered_at: new Date(delivery.atMs).toISOString(),
  };
}

function registerReceiverRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const path = `${RISC_ADMIN}/receivers`;
  app.get(path, (_request, reply) =>
    sendJson(reply, 200, { receivers: ctx.risc.listReceivers().map(receiverView) }),
  );
  app.post(path, (request, reply) => {
    const input = parseReceiver(request.body);
    if ('problem' in input) return refuse(reply, 400, input.problem);
    if (!ctx.registry.findClient(input.value.clientId)) return refuse(reply, 404, 'no such client');
    const receiver = ctx.risc.addReceiver(input.value);
    ctx.settings.log(`google-emulator: RISC receiver ${receiver.id} at ${receiver.url}`);
    return sendJson(reply, 201, receiverView(receiver));
  });
  app.delete(path, (_request, reply) => {
    ctx.risc.clearReceivers();
    return sendJson(reply, 200, { receivers: [] });
  });
}

function registerEventRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.post(`${RISC_ADMIN}/events`, async (request, reply) => {
    const input = parseRiscEvent(request.body);
    if ('problem' in input) return refuse(reply, 400, input.problem);
    const prepared = prepareEvent(ctx, input.value);
    if ('problem' in prepared) return refuse(reply, prepared.status, prepared.problem);
    const deliveries = await ctx.risc.send(prepared.event);
    return sendJson(reply, 201, { deliveries: deliveries.map(deliveryView) });
  });
  app.get(`${RISC_ADMIN}/deliveries`, (_request, reply) =>
    sendJson(reply, 200, { deliveries: ctx.risc.listDeliveries().map(deliveryView) }),
  );
  app.delete(`${RISC_ADMIN}/deliveries`, (_request, reply) => {
    ctx.risc.clearDeliveries();
    return sendJson(reply, 200, { deliveries: [] });
  });
  app.post<{ Params: { jti: string } }>(
    `${RISC_ADMIN}/deliveries/:jti/redeliver`,
    async (request, reply) => {
      const deliveries = await ctx.risc.redeliver(request.params.jti);
      if (!deliveries) return refuse(reply, 404, 'no delivery with that jti');
      return sendJson(reply, 201, { deliveries: deliveries.map(deliveryView) });
    },
  );
}

/**
 * Resolves the user and client, applies what Google itself would have done before telling
 * receivers (revocations, a purged account), and builds the event.
 */
function prepareEvent(ctx: EmulatorContext, input: RiscEventInput): Prepared {
  const user = input.user
    ? input.user.sub !== undefined
      ? ctx.registry.findUser(input.user.sub)
      : ctx.registry.findUserByHint(input.user.email ?? '')
    : undefined;
  if (input.user && !user) return { status: 404, problem: 'no such user' };
  if (input.clientId !== undefined && !ctx.registry.findClient(input.clientId)) {
    return { status: 404, problem: 'no such client' };
  }
  const sub = user?.sub;
  const refreshToken =
    input.name === 'token-revoked' ? revokedRefreshToken(ctx, input, sub as string) : undefined;
  if (input.name === 'token-revoked' && !refreshToken) {
    return { status: 404, problem: 'no live refresh token of that user and client' };
  }
  const body = eventBody(ctx, input, sub, refreshToken);
  applyAtGoogle(ctx, input, sub, refreshToken);
  return {
    event: {
      type: RISC_EVENT_TYPES[input.name],
      sub,
      clientId: input.clientId,
      body,
      typ: input.typ === undefined ? DEFAULT_SET_TYP : input.typ,
    },
  };
}

function eventBody(
  ctx: EmulatorContext,
  input: RiscEventInput,
  sub: string | undefined,
  refreshToken: string | undefined,
): Record<string, unknown> {
  if (input.name === 'verification') return input.state === undefined ? {} : { state: input.state };
  if (refreshToken !== undefined) {
    return { subject: refreshTokenSubject(refreshToken, input.tokenIdentifierAlg) };
  }
  const subject = issSubSubject(ctx.settings.issuer, sub as string);
  return input.reason === undefined ? { subject } : { subject, reason: input.reason };
}

/** The named refresh token (it must be a live one of this user and client), else the newest. */
function revokedRefreshToken(
  ctx: EmulatorContext,
  input: RiscEventInput,
  sub: string,
): string | undefined {
  const clientId = input.clientId as string;
  if (input.refreshToken === undefined) return ctx.grants.newestRefreshToken(clientId, sub);
  const record = ctx.grants.findRefreshToken(input.refreshToken);
  return record?.clientId === clientId && record.sub === sub ? record.token : undefined;
}

function applyAtGoogle(
  ctx: EmulatorContext,
  input: RiscEventInput,
  sub: string | undefined,
  refreshToken: string | undefined,
): void {
  if (sub === undefined) return;
  switch (input.name) {
    case 'tokens-revoked':
      ctx.grants.revokeClientGrant(input.clientId as string, sub);
      break;
    case 'token-revoked':
      ctx.grants.retireRefreshToken(refreshToken as string);
      break;
    case 'account-disabled':
      ctx.grants.revokeUser(sub);
      break;
    case 'account-purged':
      ctx.grants.revokeUser(sub);
      ctx.registry.removeUser(sub);
      break;
    default:
      break;
  }
}
