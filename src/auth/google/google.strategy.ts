import type { RequestOptions } from 'node:http';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { AuthModuleOptions, PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { Strategy, type StrategyOptions } from 'passport-google-oauth20';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { googleEndpoints } from '../../google/google-endpoints.js';
import { LoginStateStore } from './login-state.store.js';

/** Google's answer to the code exchange, handed to the callback route, which verifies and stores it. */
export interface CodeExchange {
  accessToken: string;
  refreshToken?: string;
  /** The whole token response: id_token, expires_in, scope, token_type. */
  params: Record<string, unknown>;
}

type OAuthCallback = (error: unknown, ...results: unknown[]) => void;

/** node-oauth's request runner: not in its typings, the one place every call to the token endpoint goes through. */
interface OAuthRequestRunner {
  _executeRequest(
    library: unknown,
    options: RequestOptions,
    body: unknown,
    callback: OAuthCallback,
  ): void;
}

interface GoogleOidcOptions extends Omit<StrategyOptions, 'store'> {
  /** Our state store; the library's typings know only Express-shaped ones. */
  store: LoginStateStore;
  /** The name this strategy is registered under in passport's process-wide registry. */
  registeredName: string;
  tokenTimeoutMs: number;
}

/**
 * passport-google-oauth20 plus what this app needs of it: the OIDC `nonce` (the library does not
 * send it), a deadline on the code exchange (node-oauth has none), and a name of its own.
 */
class GoogleOidcStrategy extends Strategy {
  constructor(options: GoogleOidcOptions, verify: (...args: never[]) => void) {
    super(options as unknown as StrategyOptions, verify as never);
    // PassportStrategy registers the strategy under `name`: one per app, so apps never share it.
    this.name = options.registeredName;
    applyDeadline(this._oauth2 as unknown as OAuthRequestRunner, options.tokenTimeoutMs);
  }

  /** passport-oauth2 drops the HTTP status of an error answer; 5xx and 429 are transient, so keep it. */
  override parseErrorResponse(body: string, status: number): Error | null {
    const error = super.parseErrorResponse(body, status);
    return error && Object.assign(error, { status });
  }

  override authorizationParams(options: Record<string, unknown>): object {
    const params = super.authorizationParams(options) as Record<string, unknown>;
    if (typeof options.nonce === 'string') params.nonce = options.nonce;
    return params;
  }
}

/**
 * Sign-in with Google: authorization code flow with PKCE S256, the state kept by LoginStateStore,
 * and the identity taken from the ID token, which the callback route verifies. It registers under
 * the app's own strategy name (PassportModule's `defaultStrategy`) and leaves passport with the app.
 */
@Injectable()
export class GoogleStrategy
  extends PassportStrategy(GoogleOidcStrategy, undefined, 5)
  implements OnModuleDestroy
{
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(AuthModuleOptions) passportOptions: AuthModuleOptions,
    loginStates: LoginStateStore,
  ) {
    const endpoints = googleEndpoints(config.google);
    super({
      registeredName: String(passportOptions.defaultStrategy),
      tokenTimeoutMs: config.google.httpTimeoutMs,
      clientID: config.google.clientId,
      clientSecret: config.google.clientSecret,
      callbackURL: config.google.callbackUrl,
      authorizationURL: endpoints.authorization,
      tokenURL: endpoints.token,
      userProfileURL: endpoints.userinfo,
      scope: config.google.scopes,
      pkce: true,
      state: true,
      store: loginStates,
      // The identity comes from the verified ID token; a userinfo call would add nothing but latency.
      skipUserProfile: true,
    } satisfies GoogleOidcOptions);
  }

  /** Five parameters (PassportStrategy's third argument): passport-oauth2 then passes the token response. */
  validate(
    accessToken: string,
    refreshToken: string | undefined,
    params: Record<string, unknown>,
  ): CodeExchange {
    return { accessToken, refreshToken, params };
  }

  onModuleDestroy(): void {
    passport.unuse(this.name);
  }
}

/**
 * Every request node-oauth makes for this strategy (the code exchange) answers within
 * `timeoutMs`: at the deadline the socket is closed and the exchange fails as a timeout.
 */
function applyDeadline(client: OAuthRequestRunner, timeoutMs: number): void {
  const execute = client._executeRequest.bind(client);
  client._executeRequest = (library, options, body, callback) => {
    const signal = AbortSignal.timeout(timeoutMs);
    let answered = false;
    const answerOnce: OAuthCallback = (...args) => {
      if (answered) return;
      answered = true;
      callback(...args);
    };
    signal.addEventListener(
      'abort',
      () =>
        answerOnce(
          Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }),
        ),
      { once: true },
    );
    execute(library, { ...options, signal }, body, answerOnce);
  };
}
