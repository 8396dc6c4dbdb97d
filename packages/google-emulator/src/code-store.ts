import type { EmulatorClock } from './clock.js';
import { newAuthorizationCode } from './token-strings.js';

export type AccessType = 'online' | 'offline';
export type ChallengeMethod = 'plain' | 'S256';

/** Everything an authorization code is bound to. */
export interface CodeBinding {
  /** The grant the consent created; a revocation ends it and so the code. */
  grantId: number;
  clientId: string;
  redirectUri: string;
  sub: string;
  /** Canonical granted scopes, as the token response lists them. */
  scopes: string[];
  accessType: AccessType;
  /** The consent screen was forced (prompt=consent or approval_prompt=force). */
  consentForced: boolean;
  /** The consent granted scopes this user had not granted this client before. */
  grantsNewScopes: boolean;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: ChallengeMethod;
}

export interface CodeRecord extends CodeBinding {
  code: string;
  expiresAtMs: number;
  redeemed: boolean;
  /** Tokens minted from this code, revoked if the code is ever replayed (RFC 6749 §4.1.2). */
  issuedTokens: string[];
}

export class CodeStore {
  private readonly codes = new Map<string, CodeRecord>();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly ttlSeconds: number,
    private readonly marker: string,
  ) {}

  issue(binding: CodeBinding): string {
    this.dropExpired();
    const code = newAuthorizationCode(this.marker);
    const expiresAtMs = this.clock.nowMs() + this.ttlSeconds * 1000;
    this.codes.set(code, { ...binding, code, expiresAtMs, redeemed: false, issuedTokens: [] });
    return code;
  }

  /** The live record for a code (redeemed ones included, to detect replays); expired → undefined. */
  find(code: string): CodeRecord | undefined {
    const record = this.codes.get(code);
    if (record && record.expiresAtMs <= this.clock.nowMs()) {
      this.codes.delete(code);
      return undefined;
    }
    return record;
  }

  markRedeemed(record: CodeRecord, issuedTokens: string[]): void {
    record.redeemed = true;
    record.issuedTokens = issuedTokens;
  }

  private dropExpired(): void {
    const now = this.clock.nowMs();
    for (const [code, record] of this.codes) {
      if (record.expiresAtMs <= now) this.codes.delete(code);
    }
  }
}
