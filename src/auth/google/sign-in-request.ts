import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { CodeExchange } from './google.strategy.js';
import type { ConsumedLoginState } from './login-state.store.js';
import { requestOf } from './fastify-passport.guard.js';

/** A sign-in GoogleStartGuard has started: where to send the browser, and the cookie binding it. */
export interface StartedSignIn {
  consentUrl: string;
  browserBinding: string;
}

/** A callback GoogleCallbackGuard has accepted: Google's token response and the state it answered. */
export interface AnsweredSignIn {
  exchange: CodeExchange;
  loginState: ConsumedLoginState;
}

/** The request as the guards leave it for the route handlers (`user` is where AuthGuard puts its result). */
export interface GoogleSignInRequest extends FastifyRequest {
  startedSignIn?: StartedSignIn;
  user?: AnsweredSignIn;
}

export const SignInStarted = createParamDecorator(
  (_data: unknown, context: ExecutionContext): StartedSignIn =>
    present(requestOf<GoogleSignInRequest>(context).startedSignIn, 'GoogleStartGuard'),
);

export const SignInAnswered = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AnsweredSignIn =>
    present(requestOf<GoogleSignInRequest>(context).user, 'GoogleCallbackGuard'),
);

function present<T>(value: T | undefined, guard: string): T {
  if (value === undefined) throw new Error(`route used without ${guard}`);
  return value;
}
