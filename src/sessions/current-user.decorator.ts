import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { FastifyRequest } from 'fastify';
import type { UserEntity } from '../users/user.entity.js';

/** Who is calling, as established by the session guard. */
export interface SessionUser {
  userId: string;
  /** The user as read with the session, in the same query, for this request. */
  user: UserEntity;
}

export type AuthenticatedRequest = FastifyRequest & { sessionUser?: SessionUser };

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): SessionUser => {
    const request = GqlExecutionContext.create(context).getContext<{ req: AuthenticatedRequest }>()
      .req;
    if (!request.sessionUser)
      throw new Error('CurrentUser used on an operation without the session guard');
    return request.sessionUser;
  },
);
