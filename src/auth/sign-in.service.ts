import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CacheCoherence } from '../cache/cache-coherence.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { googleEndpoints } from '../google/google-endpoints.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { RefreshTokenBudget } from '../tokens/refresh-token-budget.js';
import { TokenStore } from '../tokens/token-store.service.js';
import { readTokenResponse } from '../google/token-response.js';
import { UsersService } from '../users/users.service.js';
import { IdTokenVerifier } from './google/id-token.verifier.js';
import { ConsentPolicy } from './google/consent-policy.js';
import type { ConsumedLoginState } from './google/login-state.store.js';
import type { AnsweredSignIn } from './google/sign-in-request.js';
import { safeReturnPath } from './return-path.js';

export interface CompletedSignIn {
  sessionId: string;
  userId: string;
  returnTo: string;
}

/** Nothing was stored: the browser goes round once more, to a sign-in with prompt=consent. */
export interface ConsentRound {
  consentRoundPath: string;
}

/** The end of a sign-in: Google's answer becomes a user, their tokens and a session, or nothing at all. */
@Injectable()
export class SignInService {
  private readonly logger = new Logger('SignIn');
  private readonly idTokens: IdTokenVerifier;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly tokens: TokenStore,
    private readonly sessions: SessionsService,
    private readonly consent: ConsentPolicy,
    private readonly budget: RefreshTokenBudget,
    private readonly coherence: CacheCoherence,
  ) {
    const endpoints = googleEndpoints(config.google);
    this.idTokens = new IdTokenVerifier(endpoints.jwks, endpoints.issuers, config.google.clientId, {
      timeoutMs: config.google.httpTimeoutMs,
      allowedHostedDomain: config.google.allowedHostedDomain,
    });
  }

  /**
   * Verifies the ID token and, only if every check passes, stores everything in one transaction,
   * ending the session this browser had before (a new session id at each sign-in).
   */
  async complete(
    { exchange, loginState }: AnsweredSignIn,
    previousSessionId: string | undefined,
  ): Promise<CompletedSignIn | ConsentRound> {
    const receivedAt = new Date();
    // Checked when the sign-in started; checked again so nothing is written for a path that cannot be sent.
    const returnTo = safeReturnPath(loginState.returnTo);
    const identity = await this.idTokens.verify(stringOrUndefined(exchange.params.id_token), {
      nonceHash: loginState.nonceHash,
      accessToken: exchange.accessToken,
    });
    const response = readTokenResponse(
      { ...exchange.params, refresh_token: exchange.refreshToken },
      exchange.accessToken,
    );
    if (
      response.refreshToken === undefined &&
      !loginState.promptedConsent &&
      (await this.consent.neededAfter(identity.sub))
    ) {
      this.logger.log(
        'Google sent no refresh token and none usable is held: signing in once more with prompt=consent',
      );
      return { consentRoundPath: consentRoundPath(loginState, identity.sub) };
    }
    const completed = await this.dataSource.transaction(async (manager) => {
      const user = await this.users.upsertFromIdentity(manager, identity);
      const written = await this.tokens.saveSignIn(
        manager,
        user.id,
        response,
        receivedAt,
        loginState.requestedScopes,
      );
      if (previousSessionId) await this.sessions.destroyWithin(manager, previousSessionId);
      const sessionId = await this.sessions.create(manager, user.id);
      return { sessionId, userId: user.id, returnTo, written };
    });
    if (completed.written.minted)
      this.budget.noteMinted(completed.userId, completed.written.refreshTokensMinted);
    // The new grant (scopes, refresh token) and the ended session hold on every instance before
    // the browser is sent on.
    await this.coherence.settle();
    return { sessionId: completed.sessionId, userId: completed.userId, returnTo };
  }
}

/** The same sign-in again, forcing consent (so Google mints a refresh token) for this account. */
function consentRoundPath(loginState: ConsumedLoginState, googleSub: string): string {
  const query = new URLSearchParams({
    returnTo: safeReturnPath(loginState.returnTo),
    scope: loginState.requestedScopes.join(' '),
    prompt: 'consent',
    login_hint: googleSub,
  });
  return `/auth/google?${query.toString()}`;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
