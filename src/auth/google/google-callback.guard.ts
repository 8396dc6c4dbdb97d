import { Inject, Injectable, Logger, Optional, type ExecutionContext } from '@nestjs/common';
import { AuthModuleOptions, type IAuthModuleOptions } from '@nestjs/passport';
import type { FastifyReply } from 'fastify';
import { AuthCookies } from '../../sessions/cookies.js';
import { SignInError, SignInErrorCode } from '../sign-in.error.js';
import { FastifyPassportGuard, requestOf } from './fastify-passport.guard.js';
import type { CodeExchange } from './google.strategy.js';
import { LoginStateStore } from './login-state.store.js';
import { passportErrorToSignInError, passportFailureToSignInError } from './passport-errors.js';
import type { AnsweredSignIn, GoogleSignInRequest } from './sign-in-request.js';

/**
 * GET /auth/google/callback: spends the state (single use, this browser's only), exchanges the
 * code with its PKCE verifier, and leaves Google's answer for the route. Every way it can fail
 * becomes a SignInError, shown by SignInErrorFilter.
 */
@Injectable()
export class GoogleCallbackGuard extends FastifyPassportGuard {
  private readonly logger = new Logger('SignIn');

  constructor(
    private readonly loginStates: LoginStateStore,
    private readonly cookies: AuthCookies,
    @Optional() @Inject(AuthModuleOptions) options?: IAuthModuleOptions,
  ) {
    super(options);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = requestOf<GoogleSignInRequest>(context);
    try {
      const query = request.query as Record<string, unknown>;
      if (typeof query.error === 'string') await this.rejectProviderError(request, query);
      if (typeof query.code !== 'string' || (await this.runPassport(context)) !== null) {
        throw new SignInError(
          SignInErrorCode.InvalidState,
          'the callback carried no authorization code',
        );
      }
      return true;
    } finally {
      // Only a callback whose state matched spends the binding: a forged one leaves it alone.
      if (this.loginStates.consumedBy(request)) {
        this.cookies.clearLoginBinding(context.switchToHttp().getResponse<FastifyReply>());
      }
    }
  }

  /** Maps how passport ended to our errors; on success, pairs Google's answer with its state. */
  override handleRequest<TUser = AnsweredSignIn>(
    error: unknown,
    exchange: CodeExchange | false,
    info: unknown,
    context: ExecutionContext,
  ): TUser {
    if (error) throw passportErrorToSignInError(error, this.logger);
    if (!exchange) throw passportFailureToSignInError(info);
    const loginState = this.loginStates.consumedBy(requestOf(context));
    if (!loginState)
      throw new SignInError(SignInErrorCode.InvalidState, 'no sign-in state was consumed');
    const answered: AnsweredSignIn = { exchange, loginState };
    return answered as TUser;
  }

  private async rejectProviderError(
    request: GoogleSignInRequest,
    query: Record<string, unknown>,
  ): Promise<never> {
    await this.loginStates.consume(
      request,
      typeof query.state === 'string' ? query.state : undefined,
    );
    if (query.error === 'access_denied') {
      throw new SignInError(SignInErrorCode.ConsentDenied, 'the user did not allow access');
    }
    throw new SignInError(
      SignInErrorCode.ProviderError,
      `Google answered ${String(query.error).slice(0, 64)}`,
    );
  }
}
