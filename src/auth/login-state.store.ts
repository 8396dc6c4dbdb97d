import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, type Repository } from 'typeorm';
import { TokenCipher } from '../tokens/token-cipher.js';
import { sha256 } from '../common/hash.js';
import { LoginStateEntity } from './login-state.entity.js';
import type { SignInRequest } from './passport-runner.js';

const LOGIN_STATE_TTL_MS = 10 * 60_000;

export interface ConsumedLoginState {
  codeVerifier: string;
  nonceHash: string;
  returnTo: string;
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
 * bound to the browser that started it; the PKCE verifier is stored encrypted.
 */
@Injectable()
export class LoginStateStore {
  constructor(
    @InjectRepository(LoginStateEntity) private readonly states: Repository<LoginStateEntity>,
    private readonly cipher: TokenCipher,
  ) {}

  // passport-oauth2 picks the call form by parameter count: store() must keep exactly five.
  store(
    req: SignInRequest,
    verifier: string,
    _state: unknown,
    _meta: unknown,
    done: StoreDone,
  ): void {
    this.save(req, verifier)
      .then((handle) => done(null, handle))
      .catch((error: Error) => done(error));
  }

  // ...and verify() exactly three; the verifier handed back is sent as code_verifier.
  verify(req: SignInRequest, handle: string, done: VerifyDone): void {
    this.consume(handle, req.browserBinding)
      .then((consumed) => {
        if (!consumed)
          return done(null, false, { message: 'unknown, expired, replayed or foreign state' });
        req.loginState = consumed;
        done(null, consumed.codeVerifier);
      })
      .catch((error: Error) => done(error));
  }

  /** Reads and deletes a state in one go; null unless this caller consumed a live, matching one. */
  async consume(
    handle: string | undefined,
    browserBinding: string | undefined,
  ): Promise<ConsumedLoginState | null> {
    if (!handle || handle.length > 128) return null;
    const stateHash = sha256(handle);
    const row = await this.states.findOneBy({ stateHash });
    if (!row) return null;
    const { affected } = await this.states.delete({ stateHash });
    if (affected !== 1) return null;
    if (
      row.expiresAt <= new Date() ||
      !browserBinding ||
      row.browserBindingHash !== sha256(browserBinding)
    ) {
      return null;
    }
    return {
      codeVerifier: this.cipher.decrypt(row.codeVerifierCiphertext, associatedData(stateHash)),
      nonceHash: row.nonceHash,
      returnTo: row.returnTo,
    };
  }

  private async save(req: SignInRequest, verifier: string): Promise<string> {
    if (!req.browserBinding || !req.nonce)
      throw new Error('sign-in started without binding or nonce');
    const now = new Date();
    await this.states.delete({ expiresAt: LessThan(now) });
    const handle = randomBytes(32).toString('base64url');
    const stateHash = sha256(handle);
    await this.states.insert({
      stateHash,
      browserBindingHash: sha256(req.browserBinding),
      codeVerifierCiphertext: this.cipher.encrypt(verifier, associatedData(stateHash)),
      nonceHash: sha256(req.nonce),
      returnTo: req.returnTo ?? '/',
      expiresAt: new Date(now.getTime() + LOGIN_STATE_TTL_MS),
    });
    return handle;
  }
}

function associatedData(stateHash: string): string {
  return `login_states:${stateHash}:code_verifier`;
}
