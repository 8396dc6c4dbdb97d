import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import { LessThan, type Repository } from 'typeorm';
import { sha256 } from '../../common/hash.js';
import { TokenCipher, type SecretPlace } from '../../tokens/token-cipher.js';
import { AuthCookies } from '../../sessions/cookies.js';
import { LoginStateEntity } from './login-state.entity.js';

const LOGIN_STATE_TTL_MS = 10 * 60_000;

/** A sign-in being started: handed to the store through passport's `state` option. */
export interface SignInStart {
  browserBinding: string;
  nonce: string;
  returnTo: string;
  /** The scopes asked of Google (canonical). */
  requestedScopes: string[];
  /** prompt=consent was sent: Google mints a refresh token whatever was granted before. */
  promptedConsent: boolean;
}

export interface ConsumedLoginState {
  codeVerifier: string;
  nonceHash: string;
  returnTo: string;
  requestedScopes: string[];
  promptedConsent: boolean;
}

type StoreDone = (error: Error | null, handle?: string) => void;
type VerifyDone = (
  error: Error | null,
  verifier?: string | false,
  info?: { message: string },
) => void;

/**
 * passport-oauth2 state store kept in the database, so any instance can finish a sign-in that
 * another started. The state is single use (deleted when read), expires after ten minutes and is
 * bound to the browser that started it (the login cookie); the PKCE verifier is stored encrypted.
 */
@Injectable()
export class LoginStateStore {
  /** Which request spent which state: the callback reads it back, whatever passport did next. */
  private readonly consumed = new WeakMap<object, ConsumedLoginState>();

  constructor(
    @InjectRepository(LoginStateEntity) private readonly states: Repository<LoginStateEntity>,
    private readonly cipher: TokenCipher,
    private readonly cookies: AuthCookies,
  ) {}

  // passport-oauth2 picks the call form by parameter count: store() must keep exactly five.
  store(
    _request: FastifyRequest,
    verifier: string,
    start: SignInStart,
    _meta: unknown,
    done: StoreDone,
  ): void {
    this.save(start, verifier)
      .then((handle) => done(null, handle))
      .catch((error: Error) => done(error));
  }

  // ...and verify() exactly three; the verifier handed back is sent as code_verifier.
  verify(request: FastifyRequest, handle: string, done: VerifyDone): void {
    this.consume(request, handle)
      .then((consumed) => {
        if (!consumed)
          return done(null, false, { message: 'unknown, expired, replayed or foreign state' });
        done(null, consumed.codeVerifier);
      })
      .catch((error: Error) => done(error));
  }

  /**
   * Reads and deletes a state in one go; null unless this request's browser started it and it is
   * still live. Spent either way, so the same callback URL cannot be tried again.
   */
  async consume(
    request: FastifyRequest,
    handle: string | undefined,
  ): Promise<ConsumedLoginState | null> {
    if (!handle || handle.length > 128) return null;
    const stateHash = sha256(handle);
    const row = await this.states.findOneBy({ stateHash });
    if (!row) return null;
    const { affected } = await this.states.delete({ stateHash });
    const browserBinding = this.cookies.readLoginBinding(request);
    if (
      affected !== 1 ||
      row.expiresAt <= new Date() ||
      !browserBinding ||
      row.browserBindingHash !== sha256(browserBinding)
    ) {
      return null;
    }
    const consumed = {
      codeVerifier: this.cipher.decrypt(row.codeVerifierCiphertext, verifierPlace(stateHash)),
      nonceHash: row.nonceHash,
      returnTo: row.returnTo,
      requestedScopes: (row.requestedScopes ?? '').split(' ').filter(Boolean),
      promptedConsent: row.promptedConsent,
    };
    this.consumed.set(request, consumed);
    return consumed;
  }

  /** The state this request's callback consumed, if its state matched. */
  consumedBy(request: FastifyRequest): ConsumedLoginState | undefined {
    return this.consumed.get(request);
  }

  private async save(start: SignInStart | undefined, verifier: string): Promise<string> {
    if (!start?.browserBinding || !start.nonce)
      throw new Error('sign-in started without binding or nonce');
    const now = new Date();
    await this.states.delete({ expiresAt: LessThan(now) });
    const handle = randomBytes(32).toString('base64url');
    const stateHash = sha256(handle);
    await this.states.insert({
      stateHash,
      browserBindingHash: sha256(start.browserBinding),
      codeVerifierCiphertext: this.cipher.encrypt(verifier, verifierPlace(stateHash)),
      nonceHash: sha256(start.nonce),
      returnTo: start.returnTo,
      requestedScopes: start.requestedScopes.join(' '),
      promptedConsent: start.promptedConsent,
      expiresAt: new Date(now.getTime() + LOGIN_STATE_TTL_MS),
    });
    return handle;
  }
}

function verifierPlace(stateHash: string): SecretPlace {
  return { table: 'login_states', rowId: stateHash, column: 'code_verifier' };
}
