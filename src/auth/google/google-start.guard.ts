import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Optional, type ExecutionContext } from '@nestjs/common';
import { AuthModuleOptions, type IAuthModuleOptions } from '@nestjs/passport';
import type { AuthenticateOptionsGoogle } from 'passport-google-oauth20';
import { safeReturnPath } from '../return-path.js';
import { FastifyPassportGuard, requestOf } from './fastify-passport.guard.js';
import type { SignInStart } from './login-state.store.js';
import type { GoogleSignInRequest } from './sign-in-request.js';

/**
 * GET /auth/google: starts a sign-in bound to this browser (a fresh binding for its cookie), with
 * a nonce and a checked return path, and leaves Google's consent URL for the route to redirect to.
 */
@Injectable()
export class GoogleStartGuard extends FastifyPassportGuard {
  private readonly starts = new WeakMap<GoogleSignInRequest, SignInStart>();

  constructor(@Optional() @Inject(AuthModuleOptions) options?: IAuthModuleOptions) {
    super(options);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = requestOf<GoogleSignInRequest>(context);
    const start: SignInStart = {
      browserBinding: randomBytes(32).toString('base64url'),
      nonce: randomBytes(24).toString('base64url'),
      returnTo: safeReturnPath((request.query as Record<string, unknown>).returnTo),
    };
    this.starts.set(request, start);
    const consentUrl = await this.runPassport(context);
    if (!consentUrl)
      throw new Error('passport authenticated a sign-in start instead of redirecting');
    request.startedSignIn = { consentUrl, browserBinding: start.browserBinding };
    return true;
  }

  /** Per request: offline access with a refresh token, and the start that the state store saves. */
  override getAuthenticateOptions(context: ExecutionContext): AuthenticateOptionsGoogle & {
    nonce?: string;
  } {
    const start = this.starts.get(requestOf<GoogleSignInRequest>(context));
    return {
      accessType: 'offline',
      prompt: 'consent',
      includeGrantedScopes: true,
      nonce: start?.nonce,
      // An object, not a string: passport-oauth2 hands it to the state store's store().
      state: start as unknown as string,
    };
  }

  /** Passport calls back at a start only when the state store failed. */
  override handleRequest<TUser>(error: unknown): TUser {
    // Errors from other realms (a driver's, under Jest) are not instanceof Error: throw as they come.
    throw (error ?? new Error('sign-in start ended without a redirect to Google')) as Error;
  }
}
