import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext, type GqlContextType } from '@nestjs/graphql';
import { AppError, AppErrorCode } from '../common/app-error.js';
import { SessionsService } from './sessions.service.js';
import { AuthCookies } from './cookies.js';
import type { AuthenticatedRequest } from './current-user.decorator.js';
import { IS_PUBLIC } from './public.decorator.js';

/**
 * Every GraphQL operation needs a live session, unless marked @Public(): the session cookie from
 * sign-in, or `Authorization: Bearer <session token>` for API clients. REST routes decide for themselves.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
    private readonly cookies: AuthCookies,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType<GqlContextType>() !== 'graphql') return true;
    if (
      this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
        context.getHandler(),
        context.getClass(),
      ])
    )
      return true;
    const request = GqlExecutionContext.create(context).getContext<{ req: AuthenticatedRequest }>()
      .req;
    const session = await this.sessions.resolve(
      bearerToken(request) ?? this.cookies.readSession(request),
    );
    if (!session)
      throw new AppError(AppErrorCode.Unauthenticated, 'Sign in first: no valid session');
    request.sessionUser = { userId: session.userId, user: session.user };
    return true;
  }
}

function bearerToken(request: AuthenticatedRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}
