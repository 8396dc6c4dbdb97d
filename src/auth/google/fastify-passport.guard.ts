import type { ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { RecordedRedirect } from './recorded-redirect.js';

/**
 * AuthGuard for Fastify. Passport writes its redirect to a RecordedRedirect instead of the reply,
 * and the guard settles on every path: when passport calls back (success, failure, error) or when
 * it ends the response (a redirect, after which passport never calls back).
 */
export abstract class FastifyPassportGuard extends AuthGuard() {
  private readonly responses = new WeakMap<FastifyRequest, RecordedRedirect>();

  /** What AuthGuard hands passport as the response (the method is missing from its typings). */
  getResponse(context: ExecutionContext): RecordedRedirect | undefined {
    return this.responses.get(requestOf(context));
  }

  /** Runs the app's strategy: the Location passport redirected to, or null once it authenticated. */
  protected async runPassport(context: ExecutionContext): Promise<string | null> {
    const request = requestOf(context);
    const response = new RecordedRedirect();
    this.responses.set(request, response);
    try {
      const authenticated = (super.canActivate(context) as Promise<boolean>).then(() => null);
      return await Promise.race([authenticated, response.ended]);
    } finally {
      this.responses.delete(request);
    }
  }
}

export function requestOf<Request extends FastifyRequest = FastifyRequest>(
  context: ExecutionContext,
): Request {
  return context.switchToHttp().getRequest<Request>();
}
