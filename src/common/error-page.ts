import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppErrorCode } from './app-error.js';
import { escapeHtml, htmlPage } from './html.js';

export interface ErrorAnswer {
  status: number;
  code: AppErrorCode;
  /** Safe to show: never a driver's or provider's raw message. */
  message: string;
  title: string;
  /** Sent as Retry-After and as `retryable: true` in JSON. */
  retryAfterSeconds?: number;
  /** The id logged with the real cause. */
  errorId?: string;
}

/**
 * Answers a failed REST request: a page for browsers (they ask for text/html), JSON with the
 * error code for API clients, the way GraphQL carries `extensions.code`.
 */
export function sendErrorAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  answer: ErrorAnswer,
): FastifyReply {
  reply.code(answer.status).header('Cache-Control', 'no-store');
  if (answer.retryAfterSeconds !== undefined) {
    reply.header('Retry-After', String(answer.retryAfterSeconds));
  }
  if (!wantsHtml(request)) {
    return reply.type('application/json; charset=utf-8').send({
      statusCode: answer.status,
      code: answer.code,
      message: answer.message,
      ...(answer.retryAfterSeconds !== undefined ? { retryable: true } : {}),
      ...(answer.errorId ? { errorId: answer.errorId } : {}),
    });
  }
  const body = `<h1>${escapeHtml(answer.title)}</h1>
<p class="error">${escapeHtml(answer.message)}</p>
<p class="muted">Code: ${escapeHtml(answer.code)}${answer.errorId ? ` · id ${escapeHtml(answer.errorId)}` : ''}</p>
<p><a class="button secondary" href="/">Home</a></p>`;
  return reply.type('text/html; charset=utf-8').send(htmlPage(answer.title, body));
}

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}
