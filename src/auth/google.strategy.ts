import { Strategy as GoogleStrategy, type StrategyOptions } from 'passport-google-oauth20';
import type { AppConfig } from '../config/app-config.js';
import type { GoogleEndpoints } from '../google/google-endpoints.js';
import type { LoginStateStore } from './login-state.store.js';

/** What the strategy hands back after the code exchange; the service verifies and stores it. */
export interface CodeExchangeResult {
  accessToken: string;
  refreshToken?: string;
  params: Record<string, unknown>;
}

/** passport-google-oauth20 plus the OIDC `nonce`, which the library does not send by itself. */
class GoogleOidcStrategy extends GoogleStrategy {
  override authorizationParams(options: Record<string, unknown>): object {
    const params = super.authorizationParams(options) as Record<string, unknown>;
    if (typeof options.nonce === 'string') params.nonce = options.nonce;
    return params;
  }
}

export function createGoogleStrategy(
  google: AppConfig['google'],
  endpoints: GoogleEndpoints,
  loginStates: LoginStateStore,
): GoogleStrategy {
  const options = {
    clientID: google.clientId,
    clientSecret: google.clientSecret,
    callbackURL: google.callbackUrl,
    authorizationURL: endpoints.authorization,
    tokenURL: endpoints.token,
    userProfileURL: endpoints.userinfo,
    scope: google.scopes,
    pkce: true,
    state: true,
    store: loginStates,
    // The identity comes from the verified ID token; a userinfo call would add nothing but latency.
    skipUserProfile: true,
  } as unknown as StrategyOptions;
  // Five parameters: passport-oauth2 then passes the token response's params (with id_token).
  const verify = (
    accessToken: string,
    refreshToken: string | undefined,
    params: Record<string, unknown>,
    _profile: unknown,
    done: (error: null, result: CodeExchangeResult) => void,
  ) => done(null, { accessToken, refreshToken, params });
  return new GoogleOidcStrategy(options, verify as never);
}
