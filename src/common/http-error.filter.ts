import { randomUUID } from 'node:crypto';
import { Catch, HttpException, Logger, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../database/database-errors.js';
import { AppErrorCode } from './app-error.js';
import { sendErrorAnswer } from './error-page.js';

/** How soon a client may try again after a database outage answer. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * What REST routes answer for errors they did not handle: a database outage is a 503 (retryable,
 * as GraphQL's UPSTREAM_UNAVAILABLE), an unknown error a 500 with an id that is logged with the
 * cause. The log carries the message and stack only: a failed query's parameters (hashes,
 * ciphertexts, emails) are properties of the error and stay out. HTTP exceptions keep Nest's answer.
 */
@Catch()
export class HttpErrorFilter extends BaseExceptionFilter {
  private readonly httpLogger = new Logger('HTTP');

  override catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType() !== 'http' || exception instanceof HttpException) {
      return super.catch(exception, host);
    }
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (reply.sent) return undefined;
    if (isDatabaseUnavailable(exception)) {
      this.httpLogger.warn(`Database unavailable: ${(exception as Error).message}`);
      return sendErrorAnswer(request, reply, {
        status: 503,
        code: AppErrorCode.UpstreamUnavailable,
        title: 'Temporarily unavailable',
        message: 'The database is unavailable; try again shortly',
        retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      });
    }
    const errorId = randomUUID();
    this.httpLogger.error(`Internal error ${errorId}: ${describe(exception)}`);
    return sendErrorAnswer(request, reply, {
      status: 500,
      code: AppErrorCode.Internal,
      title: 'Something went wrong',
      message: `Internal error (id ${errorId})`,
      errorId,
    });
  }
}

function describe(exception: unknown): string {
  return exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
}
