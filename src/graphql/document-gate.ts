import type { FastifyReply, FastifyRequest } from 'fastify';
import { parse, type DocumentNode, type GraphQLError } from 'graphql';
import { AppErrorCode } from '../common/app-error.js';
import { findLimitBreach, type QueryLimits } from './query-limits.js';

/** Documents that passed the limits remembered per app, so a repeated one is not parsed twice. */
const REMEMBERED_DOCUMENTS = 1000;

interface Refusal {
  message: string;
  locations?: readonly { line: number; column: number }[];
  extensions: { code: AppErrorCode };
}

/**
 * A preHandler for the GraphQL routes: parses the document with a token cap and checks the
 * limits in one pass, before Mercurius parses or validates it. Mercurius's own validation is
 * quadratic in repeated fields and it keeps every refused document in a cache, so a document
 * that breaks a limit must never reach it. What passes is parsed again by Mercurius (a
 * capped document parses in microseconds) or found in its cache.
 */
export function documentGate(limits: QueryLimits) {
  // Documents that passed, oldest first: the verdict never changes, and clients repeat theirs.
  const passed = new Set<string>();
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const source = querySource(request);
    // Mercurius answers requests without a query (or with a malformed body) itself.
    if (source === undefined || passed.has(source)) return;
    const refusal = checkDocument(source, limits);
    if (refusal) return void (await reply.code(400).send({ data: null, errors: [refusal] }));
    if (passed.size >= REMEMBERED_DOCUMENTS) passed.delete(passed.values().next().value!);
    passed.add(source);
  };
}

/** Why `source` is refused, or null when it may run. */
export function checkDocument(source: string, limits: QueryLimits): Refusal | null {
  let document: DocumentNode;
  try {
    // Without locations a refused document costs a third: the limits need none, and a syntax
    // error still says where it is.
    document = parse(source, { maxTokens: limits.maxTokens, noLocation: true });
  } catch (error) {
    return syntaxRefusal(error as GraphQLError, limits);
  }
  const breach = findLimitBreach(document, limits);
  return breach ? { message: breach, extensions: { code: AppErrorCode.BadUserInput } } : null;
}

function syntaxRefusal(error: GraphQLError, limits: QueryLimits): Refusal {
  // graphql-js says "Document contains more that N tokens. Parsing aborted."
  if (/Document contains more th(?:an|at) \d+ tokens/.test(error.message)) {
    return {
      message: `Document too large: at most ${limits.maxTokens} tokens`,
      extensions: { code: AppErrorCode.BadUserInput },
    };
  }
  // Refused here, so Mercurius never retries the text as a JSON-encoded syntax tree.
  return {
    message: error.message,
    locations: error.locations,
    extensions: { code: AppErrorCode.BadUserInput },
  };
}

function querySource(request: FastifyRequest): string | undefined {
  const carrier = request.method === 'GET' ? request.query : request.body;
  if (typeof carrier !== 'object' || carrier === null || Array.isArray(carrier)) return undefined;
  const query = (carrier as { query?: unknown }).query;
  return typeof query === 'string' ? query : undefined;
}
