import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger, type ExecutionContext, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { loadConfig, type AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { AuthCookies } from '../../sessions/cookies.js';
import { SignInError, SignInErrorCode } from '../sign-in.error.js';
import { ConsentPolicy } from './consent-policy.js';
import { GoogleCallbackGuard } from './google-callback.guard.js';
import { GoogleStartGuard } from './google-start.guard.js';
import { GoogleStrategy } from './google.strategy.js';
import { LoginStateStore, type ConsumedLoginState, type SignInStart } from './login-state.store.js';
import type { GoogleSignInRequest } from './sign-in-request.js';

const LOGIN_COOKIE = 'tokenkeep_login';
const CALLBACK_URL = 'http://app.test/auth/google/callback';

type TokenAnswer =
  | 'ok'
  | 'invalid_grant'
  | 'invalid_client'
  | 'unavailable'
  | 'api-error-503'
  | 'rate-limited'
  | 'reset'
  | 'hang';

/** Google's token endpoint, answering as the test says and recording what it was sent. */
class FakeTokenEndpoint {
  answer: TokenAnswer = 'ok';
  readonly received: URLSearchParams[] = [];
  url = '';
  private readonly server: Server = createServer((request, response) =>
    this.handle(request, response),
  );

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      this.received.push(new URLSearchParams(body));
      const json = (status: number, value: object) =>
        response
          .writeHead(status, { 'content-type': 'application/json' })
          .end(JSON.stringify(value));
      switch (this.answer) {
        case 'ok':
          return json(200, {
            access_token: 'ya29.unit',
            refresh_token: '1//unit',
            id_token: 'header.claims.signature',
            expires_in: 3599,
            scope: 'openid email',
            token_type: 'Bearer',
          });
        case 'invalid_grant':
          return json(400, { error: 'invalid_grant', error_description: 'Bad Request' });
        case 'invalid_client':
          return json(401, { error: 'invalid_client', error_description: 'Unauthorized' });
        case 'unavailable':
          return json(503, { error: 'temporarily_unavailable' });
        case 'api-error-503':
          return json(503, { error: { code: 503, status: 'UNAVAILABLE', message: 'Unavailable' } });
        case 'rate-limited':
          return json(429, { error: 'rate_limit_exceeded' });
        case 'reset':
          return request.socket.destroy();
        case 'hang':
          return;
      }
    });
  }
}

/** The state store, in memory: what the guards need of it, with passport's parameter counts kept. */
class FakeLoginStates {
  readonly started = new Map<string, { start: SignInStart; verifier: string }>();
  failSaves = false;
  private readonly consumed = new WeakMap<object, ConsumedLoginState>();

  store(
    _request: unknown,
    verifier: string,
    start: SignInStart,
    _meta: unknown,
    done: (error: Error | null, handle?: string) => void,
  ): void {
    if (this.failSaves) return done(new Error('database unavailable'));
    const handle = randomBytes(8).toString('hex');
    this.started.set(handle, { start, verifier });
    done(null, handle);
  }

  verify(
    request: FastifyRequest,
    handle: string,
    done: (error: Error | null, verifier?: string | false, info?: { message: string }) => void,
  ): void {
    void this.consume(request, handle).then((consumed) =>
      consumed
        ? done(null, consumed.codeVerifier)
        : done(null, false, { message: 'foreign state' }),
    );
  }

  consume(request: FastifyRequest, handle: string | undefined): Promise<ConsumedLoginState | null> {
    const entry = handle === undefined ? undefined : this.started.get(handle);
    if (handle !== undefined) this.started.delete(handle);
    if (!entry || request.cookies[LOGIN_COOKIE] !== entry.start.browserBinding)
      return Promise.resolve(null);
    const consumed = {
      codeVerifier: entry.verifier,
      nonceHash: 'nonce-hash',
      returnTo: entry.start.returnTo,
      requestedScopes: entry.start.requestedScopes,
      promptedConsent: entry.start.promptedConsent,
    };
    this.consumed.set(request, consumed);
    return Promise.resolve(consumed);
  }

  consumedBy(request: FastifyRequest): ConsumedLoginState | undefined {
    return this.consumed.get(request);
  }
}

/** The consent policy, answering as the test says (the real one reads sessions and tokens). */
class FakeConsentPolicy {
  neededAtStartAnswer = false;

  neededAtStart(): Promise<boolean> {
    return Promise.resolve(this.neededAtStartAnswer);
  }
}

interface FakeReply {
  clearedCookies: string[];
  clearCookie(name: string): FakeReply;
}

function httpContext(request: object, reply: FakeReply): ExecutionContext {
  return {
    getType: () => 'http',
    switchToHttp: () => ({
      getRequest: () => request,
      getResponse: () => reply,
      getNext: () => undefined,
    }),
    getHandler: () => undefined,
    getClass: () => undefined,
  } as unknown as ExecutionContext;
}

function fakeReply(): FakeReply {
  const reply: FakeReply = {
    clearedCookies: [],
    clearCookie: (name) => {
      reply.clearedCookies.push(name);
      return reply;
    },
  };
  return reply;
}

function fakeRequest(query: Record<string, string>, binding?: string): GoogleSignInRequest {
  return {
    query,
    headers: {},
    cookies: binding ? { [LOGIN_COOKIE]: binding } : {},
  } as unknown as GoogleSignInRequest;
}

async function expectSignInError(promise: Promise<unknown>, code: SignInErrorCode): Promise<void> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SignInError);
  expect((error as SignInError).code).toBe(code);
}

describe('Google sign-in guards (passport on Fastify)', () => {
  const google = new FakeTokenEndpoint();
  const states = new FakeLoginStates();
  const consentPolicy = new FakeConsentPolicy();
  let module: INestApplicationContext;
  let startGuard: GoogleStartGuard;
  let callbackGuard: GoogleCallbackGuard;

  beforeAll(async () => {
    await google.start();
    const config = loadConfig({
      PUBLIC_URL: 'http://app.test',
      GOOGLE_EMULATOR_URL: google.url,
      GOOGLE_HTTP_TIMEOUT_MS: '1500',
      GOOGLE_ALLOWED_SCOPES: 'https://www.googleapis.com/auth/drive.readonly',
    }) as AppConfig;
    // The real strategy and guards, with the state store and Google replaced by fakes.
    // (@nestjs/testing's Test.createTestingModule is not installed; this is the same container.)
    module = await NestFactory.createApplicationContext(
      {
        module: class GuardsUnderTest {},
        imports: [
          PassportModule.registerAsync({
            useFactory: () => ({ defaultStrategy: `google-unit-${randomUUID()}`, session: false }),
          }),
        ],
        providers: [
          { provide: APP_CONFIG, useValue: config },
          { provide: LoginStateStore, useValue: states },
          { provide: AuthCookies, useValue: new AuthCookies(config.session) },
          { provide: ConsentPolicy, useValue: consentPolicy },
          GoogleStrategy,
          GoogleStartGuard,
          GoogleCallbackGuard,
        ],
      },
      { logger: false },
    );
    startGuard = module.get(GoogleStartGuard);
    callbackGuard = module.get(GoogleCallbackGuard);
  });

  afterAll(async () => {
    await module?.close();
    await google.stop();
  });

  afterEach(() => {
    google.answer = 'ok';
    states.failSaves = false;
    consentPolicy.neededAtStartAnswer = false;
    jest.restoreAllMocks();
  });

  /** Starts a sign-in as a browser would; returns the browser's binding and the state Google got. */
  async function startSignIn(query: Record<string, string> = {}) {
    const request = fakeRequest(query);
    await expect(startGuard.canActivate(httpContext(request, fakeReply()))).resolves.toBe(true);
    const started = request.startedSignIn!;
    const consentUrl = new URL(started.consentUrl);
    return { started, consentUrl, state: consentUrl.searchParams.get('state') ?? '' };
  }

  function callback(query: Record<string, string>, binding?: string) {
    const request = fakeRequest(query, binding);
    const reply = fakeReply();
    return { request, reply, activation: callbackGuard.canActivate(httpContext(request, reply)) };
  }

  describe('GET /auth/google', () => {
    it('settles with a redirect to Google carrying state, PKCE S256, the nonce and offline access', async () => {
      const { started, consentUrl, state } = await startSignIn({ returnTo: '/playground' });
      expect(`${consentUrl.origin}${consentUrl.pathname}`).toBe(`${google.url}/o/oauth2/v2/auth`);
      const saved = states.started.get(state);
      expect(saved).toBeDefined();
      const params = Object.fromEntries(consentUrl.searchParams);
      expect(params).toMatchObject({
        response_type: 'code',
        redirect_uri: CALLBACK_URL,
        access_type: 'offline',
        scope:
          'openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile',
        include_granted_scopes: 'true',
        code_challenge_method: 'S256',
        code_challenge: createHash('sha256').update(saved!.verifier).digest('base64url'),
        nonce: saved!.start.nonce,
      });
      expect(params.client_id).toBeTruthy();
      expect(saved!.start).toMatchObject({
        browserBinding: started.browserBinding,
        returnTo: '/playground',
      });
    });

    it('sends no prompt=consent unless the consent policy or the query asks for it', async () => {
      expect((await startSignIn()).consentUrl.searchParams.has('prompt')).toBe(false);
      consentPolicy.neededAtStartAnswer = true;
      const forced = await startSignIn();
      expect(forced.consentUrl.searchParams.get('prompt')).toBe('consent');
      expect(states.started.get(forced.state)?.start.promptedConsent).toBe(true);
      consentPolicy.neededAtStartAnswer = false;
      const secondRound = await startSignIn({
        prompt: 'consent',
        login_hint: '104892461539281739254',
      });
      expect(secondRound.consentUrl.searchParams.get('prompt')).toBe('consent');
      expect(secondRound.consentUrl.searchParams.get('login_hint')).toBe('104892461539281739254');
    });

    it('adds allowed scopes of ?scope= and saves them with the state', async () => {
      const drive = 'https://www.googleapis.com/auth/drive.readonly';
      const { consentUrl, state } = await startSignIn({ scope: drive });
      expect(consentUrl.searchParams.get('scope')?.split(' ')).toEqual([
        'openid',
        'https://www.googleapis.com/auth/userinfo.email',
        'https://www.googleapis.com/auth/userinfo.profile',
        drive,
      ]);
      expect(consentUrl.searchParams.get('include_granted_scopes')).toBe('true');
      expect(states.started.get(state)?.start.requestedScopes).toContain(drive);
    });

    it('refuses a scope outside the allow-list before saving any state', async () => {
      const saved = states.started.size;
      const request = fakeRequest({ scope: 'https://mail.google.com/' });
      await expectSignInError(
        startGuard.canActivate(httpContext(request, fakeReply())),
        SignInErrorCode.ScopeNotAllowed,
      );
      expect(states.started.size).toBe(saved);
    });

    it('gives each sign-in its own binding, nonce and state', async () => {
      const first = await startSignIn();
      const second = await startSignIn();
      expect(second.started.browserBinding).not.toBe(first.started.browserBinding);
      expect(second.state).not.toBe(first.state);
      expect(second.consentUrl.searchParams.get('nonce')).not.toBe(
        first.consentUrl.searchParams.get('nonce'),
      );
    });

    it('saves / for a return path it cannot trust', async () => {
      const { state } = await startSignIn({ returnTo: '/\u2028' });
      expect(states.started.get(state)?.start.returnTo).toBe('/');
    });

    it('settles with the error when the state cannot be saved', async () => {
      states.failSaves = true;
      const request = fakeRequest({});
      await expect(startGuard.canActivate(httpContext(request, fakeReply()))).rejects.toThrow(
        'database unavailable',
      );
      expect(request.startedSignIn).toBe(undefined);
    });
  });

  describe('GET /auth/google/callback', () => {
    it("exchanges the code with the state's PKCE verifier and hands Google's answer to the route", async () => {
      const { started, state } = await startSignIn({ returnTo: '/next' });
      const { verifier } = states.started.get(state)!;
      const { request, reply, activation } = callback(
        { code: '4/0Acode', state },
        started.browserBinding,
      );
      await expect(activation).resolves.toBe(true);
      expect(Object.fromEntries(google.received.at(-1)!)).toMatchObject({
        grant_type: 'authorization_code',
        code: '4/0Acode',
        code_verifier: verifier,
        redirect_uri: CALLBACK_URL,
      });
      expect(request.user?.exchange).toMatchObject({
        accessToken: 'ya29.unit',
        refreshToken: '1//unit',
        params: { id_token: 'header.claims.signature', expires_in: 3599 },
      });
      expect(request.user?.loginState.returnTo).toBe('/next');
      expect(reply.clearedCookies).toEqual([LOGIN_COOKIE]);
    });

    it('a state the store refuses is INVALID_STATE, before any code exchange, and keeps the binding', async () => {
      const { started } = await startSignIn();
      const exchanges = google.received.length;
      const { reply, activation } = callback(
        { code: '4/0Acode', state: 'forged' },
        started.browserBinding,
      );
      await expectSignInError(activation, SignInErrorCode.InvalidState);
      expect(google.received.length).toBe(exchanges);
      expect(reply.clearedCookies).toEqual([]);
    });

    it('a state from another browser is INVALID_STATE', async () => {
      const { state } = await startSignIn();
      const { activation } = callback({ code: '4/0Acode', state }, 'another-browser');
      await expectSignInError(activation, SignInErrorCode.InvalidState);
    });

    it('a callback without a code is INVALID_STATE and never starts another sign-in', async () => {
      const before = states.started.size;
      const { activation } = callback({ state: 'whatever' }, 'binding');
      await expectSignInError(activation, SignInErrorCode.InvalidState);
      expect(states.started.size).toBe(before);
    });

    it.each([
      ['invalid_grant (a replayed or foreign code)', SignInErrorCode.CodeRejected, 'invalid_grant'],
      ['a 503 with an OAuth error', SignInErrorCode.UpstreamUnavailable, 'unavailable'],
      ["a 503 with Google's API error body", SignInErrorCode.UpstreamUnavailable, 'api-error-503'],
      ['a 429', SignInErrorCode.UpstreamUnavailable, 'rate-limited'],
      ['a dropped connection', SignInErrorCode.UpstreamUnavailable, 'reset'],
      ['no answer within GOOGLE_HTTP_TIMEOUT_MS', SignInErrorCode.UpstreamUnavailable, 'hang'],
    ] as const)(
      'a token endpoint answering %s ends the sign-in as %s',
      async (_name, code, answer) => {
        const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
        const { started, state } = await startSignIn();
        google.answer = answer;
        const { reply, activation } = callback({ code: '4/0Acode', state }, started.browserBinding);
        await expectSignInError(activation, code);
        // only a refused client is the operator's problem
        expect(logged).not.toHaveBeenCalled();
        // the state matched, so it is spent with its binding
        expect(reply.clearedCookies).toEqual([LOGIN_COOKIE]);
      },
    );

    it('invalid_client is PROVIDER_ERROR and logged loudly for the operator', async () => {
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const { started, state } = await startSignIn();
      google.answer = 'invalid_client';
      const { activation } = callback({ code: '4/0Acode', state }, started.browserBinding);
      await expectSignInError(activation, SignInErrorCode.ProviderError);
      expect(logged).toHaveBeenCalledWith(
        expect.stringMatching(/invalid_client.*GOOGLE_CLIENT_ID/),
      );
    });

    it('a denied consent is CONSENT_DENIED and spends the state', async () => {
      const { started, state } = await startSignIn();
      const { reply, activation } = callback(
        { error: 'access_denied', state },
        started.browserBinding,
      );
      await expectSignInError(activation, SignInErrorCode.ConsentDenied);
      expect(states.started.has(state)).toBe(false);
      expect(reply.clearedCookies).toEqual([LOGIN_COOKIE]);
    });

    it('another provider error is PROVIDER_ERROR; a forged one keeps the binding', async () => {
      const { started } = await startSignIn();
      const { reply, activation } = callback(
        { error: 'server_error', state: 'forged' },
        started.browserBinding,
      );
      await expectSignInError(activation, SignInErrorCode.ProviderError);
      expect(reply.clearedCookies).toEqual([]);
    });
  });
});
