import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Authenticator } from 'passport';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { googleEndpoints } from '../google/google-endpoints.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { TokenStore } from '../tokens/token-store.service.js';
import { readTokenResponse } from '../google/token-response.js';
import { UsersService } from '../users/users.service.js';
import { createGoogleStrategy, type CodeExchangeResult } from './google.strategy.js';
import { IdTokenVerifier } from './id-token.verifier.js';
import { LoginStateStore } from './login-state.store.js';
import { runPassport, type SignInRequest } from './passport-runner.js';
import { passportFailureToSignInError } from './passport-errors.js';
import { SignInError, SignInErrorCode } from './sign-in.error.js';

export interface CompletedSignIn {
  sessionId: string;
  userId: string;
  returnTo: string;
}

const STRATEGY = 'google';

/** The sign-in flow: send the browser to Google, then turn the callback into a user, tokens and a session. */
@Injectable()
export class SignInService {
  private readonly logger = new Logger(SignInService.name);
  // One passport per app instance, so several apps in one process never share strategies.
  private readonly passport = new Authenticator();
  private readonly idTokens: IdTokenVerifier;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly loginStates: LoginStateStore,
    private readonly users: UsersService,
    private readonly tokens: TokenStore,
    private readonly sessions: SessionsService,
  ) {
    const endpoints = googleEndpoints(config.google);
    this.passport.use(STRATEGY, createGoogleStrategy(config.google, endpoints, loginStates));
    this.idTokens = new IdTokenVerifier(endpoints.jwks, endpoints.issuers, config.google.clientId, {
      timeoutMs: config.google.httpTimeoutMs,
      allowedHostedDomain: config.google.allowedHostedDomain,
    });
  }

  /** The URL of Google's consent page for a sign-in bound to this browser's binding value. */
  async start(browserBinding: string, returnTo: string): Promise<string> {
    const nonce = randomBytes(24).toString('base64url');
    const request: SignInRequest = {
      ...emptyRequest('/auth/google'),
      browserBinding,
      nonce,
      returnTo,
    };
    const outcome = await runPassport(this.passport, STRATEGY, request, {
      accessType: 'offline',
      prompt: 'consent',
      includeGrantedScopes: true,
      nonce,
    });
    if (outcome.kind === 'redirect') return outcome.location;
    throw outcome.kind === 'error'
      ? outcome.error
      : new Error(`sign-in start ended in ${outcome.kind}`);
  }

  /** Checks the callback end to end and, only if every check passes, stores everything in one transaction. */
  async complete(
    query: Record<string, string | undefined>,
    browserBinding: string | undefined,
  ): Promise<CompletedSignIn> {
    if (query.error) return this.rejectProviderError(query, browserBinding);
    const request: SignInRequest = {
      ...emptyRequest('/auth/google/callback'),
      query,
      browserBinding,
    };
    const outcome = await runPassport<CodeExchangeResult>(this.passport, STRATEGY, request, {});
    if (outcome.kind !== 'success') throw passportFailureToSignInError(outcome, this.logger);
    const loginState = request.loginState;
    if (!loginState)
      throw new SignInError(SignInErrorCode.InvalidState, 'no sign-in state was consumed');

    const receivedAt = new Date();
    const exchange = outcome.user;
    const identity = await this.idTokens.verify(stringOrUndefined(exchange.params.id_token), {
      nonceHash: loginState.nonceHash,
      accessToken: exchange.accessToken,
    });
    const response = readTokenResponse(
      { ...exchange.params, refresh_token: exchange.refreshToken },
      exchange.accessToken,
    );
    return this.dataSource.transaction(async (manager) => {
      const user = await this.users.upsertFromIdentity(manager, identity);
      await this.tokens.saveSignIn(manager, user.id, response, receivedAt);
      const sessionId = await this.sessions.create(manager, user.id);
      return { sessionId, userId: user.id, returnTo: loginState.returnTo };
    });
  }

  private async rejectProviderError(
    query: Record<string, string | undefined>,
    browserBinding: string | undefined,
  ): Promise<never> {
    // The state is spent either way, so the same callback URL cannot be tried again.
    await this.loginStates.consume(query.state, browserBinding);
    if (query.error === 'access_denied') {
      throw new SignInError(SignInErrorCode.ConsentDenied, 'the user did not allow access');
    }
    throw new SignInError(
      SignInErrorCode.ProviderError,
      `Google answered ${String(query.error).slice(0, 64)}`,
    );
  }
}

function emptyRequest(url: string): SignInRequest {
  return { query: {}, body: {}, headers: {}, url };
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
