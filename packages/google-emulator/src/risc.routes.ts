import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import type { EmulatorContext } from './emulator-context.js';
import { bearerToken, sendJson } from './http-util.js';
import type { RiscReceiver } from './risc-transmitter.js';
import {
  DEFAULT_SET_TYP,
  PUSH_DELIVERY_METHOD_PUBLISHED,
  PUSH_DELIVERY_METHODS,
  RISC_EVENT_TYPES,
  isRiscEventUri,
} from './risc-events.js';

/** The audience Google's docs tell a service account to put in its RISC API token. */
export const RISC_MANAGEMENT_AUDIENCE =
  'https://risc.googleapis.com/google.identity.risc.v1beta.RiscManagementService';

const API_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
};

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const NO_STREAM = 'Project has no RISC configuration.';

/**
 * Cross-Account Protection, transmitter side: the RISC configuration document, and Google's
 * stream management API (risc.googleapis.com/v1beta/…) mirrored below the emulator.
 * Find-my-way needs `::` for a literal colon in a path.
 */
export function registerRiscRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.get('/.well-known/risc-configuration', (_request, reply) =>
    sendJson(reply, 200, riscConfiguration(ctx.settings.issuer)),
  );
  const guarded =
    (handler: (request: FastifyRequest, reply: FastifyReply) => unknown) =>
    (request: FastifyRequest, reply: FastifyReply) =>
      authorized(request) ? handler(request, reply) : apiError(reply, 401, 'Unauthorized.');
  app.post(
    '/v1beta/stream::update',
    guarded((request, reply) => updateStream(ctx, request, reply)),
  );
  app.get(
    '/v1beta/stream',
    guarded((_request, reply) => {
      const stream = ctx.risc.streamReceiver;
      if (!stream) return apiError(reply, 404, NO_STREAM);
      return sendJson(reply, 200, streamView(stream));
    }),
  );
  app.get(
    '/v1beta/stream/status',
    guarded((_request, reply) => {
      const stream = ctx.risc.streamReceiver;
      return stream
        ? sendJson(reply, 200, { status: stream.status })
        : apiError(reply, 404, NO_STREAM);
    }),
  );
  app.post(
    '/v1beta/stream/status::update',
    guarded((request, reply) => updateStatus(ctx, request, reply)),
  );
  app.post(
    '/v1beta/stream::verify',
    guarded((request, reply) => verifyStream(ctx, request, reply)),
  );
  app.post(
    '/v1beta/subjects::add',
    guarded((_request, reply) => sendJson(reply, 200, {})),
  );
}

/** Google's live document (fields and values as published), endpoints below the issuer. */
export function riscConfiguration(issuer: string): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: `${issuer}/oauth2/v3/certs`,
    delivery_methods_supported: [PUSH_DELIVERY_METHOD_PUBLISHED],
    add_subject_endpoint: `${issuer}/v1beta/subjects:add`,
    get_status_endpoint: `${issuer}/v1beta/stream/status`,
    get_configuration_endpoint: `${issuer}/v1beta/stream`,
    update_configuration_endpoint: `${issuer}/v1beta/stream:update`,
    verification_endpoint: `${issuer}/v1beta/stream:verify`,
  };
}

function apiError(reply: FastifyReply, code: number, message: string): FastifyReply {
  return sendJson(reply, code, { error: { code, message, status: API_STATUS[code] } });
}

/**
 * A bearer token is needed. A JWT must be the self-signed service-account token Google's docs
 * describe (aud = the RISC management service, iss = sub); its signature cannot be checked
 * here. Anything else is taken for an OAuth access token.
 */
function authorized(request: FastifyRequest): boolean {
  const token = bearerToken(request);
  if (!token) return false;
  if (token.split('.').length !== 3) return true;
  try {
    const claims = decodeJwt(token);
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    return (
      audiences.includes(RISC_MANAGEMENT_AUDIENCE) &&
      typeof claims.iss === 'string' &&
      claims.iss !== '' &&
      claims.iss === claims.sub
    );
  } catch {
    return false;
  }
}

function streamView(stream: RiscReceiver): Record<string, unknown> {
  return {
    delivery: { delivery_method: stream.deliveryMethod, url: stream.url },
    events_requested: stream.eventsRequested ?? [],
  };
}

interface StreamConfiguration {
  delivery?: { delivery_method?: unknown; url?: unknown };
  events_requested?: unknown;
}

function updateStream(
  ctx: EmulatorContext,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const config = (request.body ?? {}) as StreamConfiguration;
  const missing = missingField(config);
  if (missing) return apiError(reply, 400, `Stream configuration must contain ${missing} field.`);
  const method = config.delivery?.delivery_method as string;
  if (!PUSH_DELIVERY_METHODS.includes(method)) {
    return apiError(reply, 400, `Unsupported delivery method: ${method}`);
  }
  const url = config.delivery?.url as string;
  if (!URL.canParse(url)) return apiError(reply, 400, `Invalid delivery URL: ${url}`);
  const target = new URL(url);
  if (target.protocol !== 'https:' && !LOOPBACK_HOSTS.has(target.hostname)) {
    return apiError(reply, 403, 'The delivery endpoint must be an HTTPS URL.');
  }
  const events = config.events_requested as string[];
  const unknown = events.find((type) => !isRiscEventUri(type));
  if (unknown !== undefined) return apiError(reply, 400, `Unsupported event type: ${unknown}`);
  const stream = ctx.risc.configureStream(url, events, method);
  ctx.settings.log(`google-emulator: RISC stream configured for ${url}`);
  return sendJson(reply, 200, streamView(stream));
}

function missingField(config: StreamConfiguration): string | undefined {
  if (typeof config.delivery !== 'object' || config.delivery === null) return 'delivery';
  if (typeof config.delivery.delivery_method !== 'string') return 'delivery.delivery_method';
  if (typeof config.delivery.url !== 'string') return 'delivery.url';
  const events = config.events_requested;
  const listed = Array.isArray(events) && events.every((type) => typeof type === 'string');
  return listed ? undefined : 'events_requested';
}

function updateStatus(
  ctx: EmulatorContext,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (!ctx.risc.streamReceiver) {
    return apiError(
      reply,
      404,
      'Project has no existing RISC configuration, cannot update status.',
    );
  }
  const status = (request.body as { status?: unknown } | undefined)?.status;
  if (status !== 'enabled' && status !== 'disabled') {
    return apiError(reply, 403, 'Unsupported status.');
  }
  ctx.risc.setStreamStatus(status);
  return sendJson(reply, 200, { status });
}

async function verifyStream(
  ctx: EmulatorContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (!ctx.risc.streamReceiver) return apiError(reply, 404, NO_STREAM);
  const state = (request.body as { state?: unknown } | undefined)?.state;
  await ctx.risc.send(
    {
      type: RISC_EVENT_TYPES.verification,
      body: typeof state === 'string' ? { state } : {},
      typ: DEFAULT_SET_TYP,
    },
    { streamOnly: true },
  );
  return sendJson(reply, 200, {});
}
