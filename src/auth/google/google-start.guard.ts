import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Optional, type ExecutionContext } from '@nestjs/common';
import { AuthModuleOptions, type IAuthModuleOptions } from '@nestjs/passport';
import type { AuthenticateOptionsGoogle } from 'passport-google-oauth20';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { safeReturnPath } from '../return-path.js';
import { ConsentPolicy } from './consent-policy.js';
import { FastifyPassportGuard, requestOf } from './fastify-passport.guard.js';
import type { SignInStart } from './login-state.store.js';
import { scopesToAsk } from './requested-scopes.js';
import type { GoogleSignInRequest } from './sign-in-request.js';

/** What one start asks Google for, besides what every sign-in asks. */
interface StartRequest {
  start: SignInStart;
  loginHint?: string;
}

/**
 * GET /auth/google: starts a sign-in bound to this browser (a fresh binding for its cookie), with
 * a nonce and a checked return path, and leaves Google's consent URL for the route to redirect to.
 * `?scope=` adds allowed scopes (incremental authorization); `prompt=consent` is sent only when
 * ConsentPolicy asks for it or the query does (the callback's second round, with `login_hint`).
 */
@Injectable()
export class GoogleStartGuard extends FastifyPassportGuard {
  private readonly starts = new WeakMap<GoogleSignInRequest, StartRequest>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly consent: ConsentPolicy,
    @Optional() @Inject(AuthModuleOptions) options?: IAuthModuleOptions,
  ) {
    super(options);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = requestOf<GoogleSignInRequest>(context);
    const query = request.query as Record<string, unknown>;
    const { scopes, allowedScopes } = this.config.google;
    const requestedScopes = scopesToAsk(query.scope, scopes, allowedScopes);
    const start: SignInStart = {
      browserBinding: randomBytes(32).toString('base64url'),
      nonce: randomBytes(24).toString('base64url'),
      returnTo: safeReturnPath(query.returnTo),
      requestedScopes,
      promptedConsent: query.prompt === 'consent' || (await this.consent.neededAtStart(request)),
    };
    this.starts.set(request, { start, loginHint: loginHintOf(query.login_hint) });
    const consentUrl = await this.runPassport(context);
    if (!consentUrl)
      throw new Error('passport authenticated a sign-in start instead of redirecting');
    request.startedSignIn = { consentUrl, browserBinding: start.browserBinding };
    return true;
  }

  /** Per request: offline access, the scopes asked, consent only when needed, and the start that the state store saves. */
  override getAuthenticateOptions(context: ExecutionContext): AuthenticateOptionsGoogle & {
    nonce?: string;
  } {
    const started = this.starts.get(requestOf<GoogleSignInRequest>(context));
    return {
      accessType: 'offline',
      ...(started?.start.promptedConsent && { prompt: 'consent' }),
      ...(started?.loginHint !== undefined && { loginHint: started.loginHint }),
      includeGrantedScopes: true,
      scope: started?.start.requestedScopes,
      nonce: started?.start.nonce,
      // An object, not a string: passport-oauth2 hands it to the state store's store().
      state: started?.start as unknown as string,
    };
  }

  /** Passport calls back at a start only when the state store failed. */
  override handleRequest<TUser>(error: unknown): TUser {
    // Errors from other realms (a driver's, under Jest) are not instanceof Error: throw as they come.
    throw (error ?? new Error('sign-in start ended without a redirect to Google')) as Error;
  }
}

/** A `login_hint` passed on to Google (the callback's second round names the account): short, printable. */
function loginHintOf(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\x21-\x7e]{1,256}$/.test(value) ? value : undefined;
}
