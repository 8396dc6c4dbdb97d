import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Serves each path, by GET and by POST, with the answer shape the path stands for. */
export function routeByShape<Shape>(
  app: FastifyInstance,
  paths: Record<string, Shape>,
  handle: (shape: Shape, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>,
): void {
  for (const [path, shape] of Object.entries(paths)) {
    const handler = (request: FastifyRequest, reply: FastifyReply) => handle(shape, request, reply);
    app.get(path, handler);
    app.post(path, handler);
  }
}

/** Request parameters by name; empty values are treated as absent, as Google does. */
export type Params = Record<string, string>;

/** Query string and body merged (body wins), first value of repeated names, empties dropped. */
export function readParams(request: FastifyRequest): Params {
  return { ...paramsOf(request.query), ...paramsOf(request.body) };
}

/** Every value of a parameter that may repeat (query and body), split on spaces, empties dropped. */
export function readList(request: FastifyRequest, name: string): string[] {
  const values = [request.query, request.body].flatMap((source) => {
    if (typeof source !== 'object' || source === null) return [];
    const raw = (source as Record<string, unknown>)[name];
    return Array.isArray(raw) ? (raw as unknown[]) : [raw];
  });
  return values
    .filter((value): value is string => typeof value === 'string')
    .flatMap((value) => value.split(' '))
    .filter((value) => value !== '');
}

function paramsOf(source: unknown): Params {
  if (typeof source !== 'object' || source === null) return {};
  const params: Params = {};
  for (const [name, raw] of Object.entries(source as Record<string, unknown>)) {
    const value = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
    if (typeof value === 'string' && value !== '') params[name] = value;
  }
  return params;
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

export interface BasicCredentials {
  clientId: string;
  clientSecret: string;
}

/** client_secret_basic; RFC 6749 form-encodes both parts, many clients do not, so both work. */
export function basicCredentials(request: FastifyRequest): BasicCredentials | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) };
}

export function formDecoded(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

export function sendJson(
  reply: FastifyReply,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): FastifyReply {
  return reply
    .code(status)
    .headers(headers)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(body));
}

export function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
