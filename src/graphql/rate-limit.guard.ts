import { sha256 } from '../common/hash.js';
import { Injectable, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext, type GqlContextType } from '@nestjs/graphql';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Nest's throttler, taught where Mercurius keeps the request and reply. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override getRequestResponse(context: ExecutionContext) {
    if (context.getType<GqlContextType>() !== 'graphql') return super.getRequestResponse(context);
    const { req, reply } = GqlExecutionContext.create(context).getContext<{
      req: FastifyRequest;
      reply: FastifyReply;
    }>();
    // The throttler reads headers and sets response headers; Fastify's objects serve both.
    return {
      req: req as unknown as Record<string, unknown>,
      res: reply as unknown as Record<string, unknown>,
    };
  }

  /** The throttler names its header after the limit (`Retry-After-sign-in`); clients read `Retry-After`. */
  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    this.setResponseHeader(
      this.getRequestResponse(context).res,
      'Retry-After',
      detail.timeToBlockExpire,
    );
    await super.throwThrottlingException(context, detail);
  }
}

/** The caller's credential (session cookie or bearer token), hashed: one bucket per session. */
export function credentialTracker(cookieName: string) {
  return (req: Record<string, unknown>): string => {
    const headers = req.headers as Record<string, string | undefined>;
    const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
    const cookie = (req.cookies as Record<string, string | undefined> | undefined)?.[cookieName];
    const credential = bearer ?? cookie;
    return credential ? `session:${sha256(credential)}` : `ip:${String(req.ip)}`;
  };
}

export function isGraphql(context: ExecutionContext): boolean {
  return context.getType<GqlContextType>() === 'graphql';
}

export function isSignInRoute(context: ExecutionContext): boolean {
  if (context.getType() !== 'http') return false;
  const url = String(context.switchToHttp().getRequest<{ url?: string }>().url ?? '');
  return url.startsWith('/auth/');
}
