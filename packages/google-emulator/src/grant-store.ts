import type { EmulatorClock } from './clock.js';
import type { AccessType } from './code-store.js';
import type { SignIn } from './reauth-policies.js';
import { mergeScopes, onlySignInScopes } from './scopes.js';
import { newAccessToken, newRefreshToken } from './token-strings.js';

/** Google's limit of live refresh tokens per account and client; the oldest goes silently. */
export const DEFAULT_REFRESH_TOKEN_LIMIT = 100;

export interface AccessTokenRecord {
  token: string;
  clientId: string;
  sub: string;
  scopes: string[];
  accessType: AccessType;
  expiresAtMs: number;
}

export interface RefreshTokenRecord {
  token: string;
  clientId: string;
  sub: string;
  scopes: string[];
  /** Set for Testing-mode clients (7 days after issue); otherwise it lives until revoked. */
  expiresAtMs?: number;
}

/** What the admin API shows of a grant (never a token). */
export interface GrantSummary {
  clientId: string;
  sub: string;
  scopes: string[];
  liveRefreshTokens: number;
  refreshTokensMinted: number;
}

/** What one user granted one client, and every token living on it. */
interface Grant {
  /** Distinguishes a grant from the one re-created after a revocation. */
  id: number;
  clientId: string;
  sub: string;
  scopes: string[];
  refreshTokenIssued: boolean;
  /** Every refresh token minted on this grant, evicted ones included. */
  refreshTokensMinted: number;
  /** The user's last interactive sign-in to this client (reauthentication policies). */
  lastSignIn?: SignIn;
  /** Testing-mode consent ends 7 days after it was given; the grant then disappears. */
  expiresAtMs?: number;
  accessTokens: Set<string>;
  /** Oldest first. */
  refreshTokens: string[];
}

const SWEEP_EVERY_ISSUES = 500;

export class GrantStore {
  private readonly grants = new Map<string, Grant>();
  private readonly accessTokens = new Map<string, AccessTokenRecord>();
  private readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  private issuesSinceSweep = 0;
  private lastGrantId = 0;
  private signInSequence = 0;

  constructor(
    private readonly clock: EmulatorClock,
    private readonly accessTokenTtlSeconds: number,
    private readonly marker: string,
    /** Live refresh tokens kept per user and client; minting one more drops the oldest. */
    public refreshTokenLimit: number = DEFAULT_REFRESH_TOKEN_LIMIT,
  ) {}

  /**
   * Records consent; returns the id of the grant, which codes carry. `consentLifetimeMs`
   * (Testing-mode clients) makes the consent end that long from now, unless the grant holds
   * only sign-in scopes.
   */
  recordConsent(
    clientId: string,
    sub: string,
    scopes: readonly string[],
    consentLifetimeMs?: number,
  ): number {
    const grant = this.grantFor(clientId, sub);
    grant.scopes = mergeScopes(grant.scopes, scopes);
    grant.expiresAtMs =
      consentLifetimeMs === undefined || onlySignInScopes(grant.scopes)
        ? undefined
        : this.clock.nowMs() + consentLifetimeMs;
    return grant.id;
  }

  /** The id of the live grant (prompt=none reuses it); -1 when there is none. */
  grantIdOf(clientId: string, sub: string): number {
    return this.liveGrant(grantKey(clientId, sub))?.id ?? -1;
  }

  /** The user completed the consent page for this client: a new sign-in session starts. */
  recordSignIn(clientId: string, sub: string): void {
    this.signInSequence += 1;
    this.grantFor(clientId, sub).lastSignIn = {
      sequence: this.signInSequence,
      atMs: this.clock.nowMs(),
    };
  }

  lastSignIn(clientId: string, sub: string): SignIn | undefined {
    return this.liveGrant(grantKey(clientId, sub))?.lastSignIn;
  }

  /** Sequence number of the latest sign-in anywhere; sign-ins after a policy get higher ones. */
  get latestSignInSequence(): number {
    return this.signInSequence;
  }

  /** False once the grant was revoked: codes issued on it must no longer work. */
  isLiveGrant(clientId: string, sub: string, grantId: number): boolean {
    return this.liveGrant(grantKey(clientId, sub))?.id === grantId;
  }

  grantedScopes(clientId: string, sub: string): string[] {
    return this.liveGrant(grantKey(clientId, sub))?.scopes ?? [];
  }

  hasIssuedRefreshToken(clientId: string, sub: string): boolean {
    return this.liveGrant(grantKey(clientId, sub))?.refreshTokenIssued ?? false;
  }

  issueAccessToken(fields: Omit<AccessTokenRecord, 'token' | 'expiresAtMs'>): AccessTokenRecord {
    this.sweepExpiredNowAndThen();
    const record: AccessTokenRecord = {
      ...fields,
      token: newAccessToken(this.marker),
      expiresAtMs: this.clock.nowMs() + this.accessTokenTtlSeconds * 1000,
    };
    this.accessTokens.set(record.token, record);
    this.grantFor(fields.clientId, fields.sub).accessTokens.add(record.token);
    return record;
  }

  issueRefreshToken(fields: Omit<RefreshTokenRecord, 'token'>): RefreshTokenRecord {
    const record: RefreshTokenRecord = { ...fields, token: newRefreshToken(this.marker) };
    const grant = this.grantFor(fields.clientId, fields.sub);
    grant.refreshTokenIssued = true;
    grant.refreshTokensMinted += 1;
    // Expired (Testing-mode) tokens are not live, so they do not count against the limit.
    for (const token of grant.refreshTokens.filter((t) => !this.unexpired(t))) {
      this.refreshTokens.delete(token);
    }
    grant.refreshTokens = grant.refreshTokens.filter((token) => this.refreshTokens.has(token));
    grant.refreshTokens.push(record.token);
    this.refreshTokens.set(record.token, record);
    while (grant.refreshTokens.length > this.refreshTokenLimit) {
      this.refreshTokens.delete(grant.refreshTokens.shift() as string);
    }
    return record;
  }

  /** Grants of a user and/or client (every grant when neither is given). */
  summaries(filter: { sub?: string; clientId?: string }): GrantSummary[] {
    return [...this.grants.keys()]
      .map((key) => this.liveGrant(key))
      .filter((grant): grant is Grant => grant !== undefined)
      .filter((grant) => filter.sub === undefined || grant.sub === filter.sub)
      .filter((grant) => filter.clientId === undefined || grant.clientId === filter.clientId)
      .map((grant) => ({
        clientId: grant.clientId,
        sub: grant.sub,
        scopes: [...grant.scopes],
        liveRefreshTokens: grant.refreshTokens.filter((token) => this.unexpired(token)).length,
        refreshTokensMinted: grant.refreshTokensMinted,
      }));
  }

  /** A live, unexpired access token. */
  findAccessToken(token: string): AccessTokenRecord | undefined {
    const record = this.accessTokens.get(token);
    if (!record || record.expiresAtMs <= this.clock.nowMs()) return undefined;
    return record;
  }

  private unexpired(refreshToken: string): boolean {
    const expiresAtMs = this.refreshTokens.get(refreshToken)?.expiresAtMs;
    return expiresAtMs === undefined || expiresAtMs > this.clock.nowMs();
  }

  /** A live refresh token: not revoked, evicted or expired, on a grant that still exists. */
  findRefreshToken(token: string): RefreshTokenRecord | undefined {
    const record = this.refreshTokens.get(token);
    if (!record) return undefined;
    if (record.expiresAtMs !== undefined && record.expiresAtMs <= this.clock.nowMs()) {
      this.retireRefreshToken(token);
      return undefined;
    }
    return this.liveGrant(grantKey(record.clientId, record.sub)) ? record : undefined;
  }

  /** Drops one refresh token (rotation), leaving the rest of the grant alone. */
  retireRefreshToken(token: string): void {
    const record = this.refreshTokens.get(token);
    if (!record) return;
    this.refreshTokens.delete(token);
    const grant = this.grants.get(grantKey(record.clientId, record.sub));
    if (grant) grant.refreshTokens = grant.refreshTokens.filter((t) => t !== token);
  }

  /** Revoking any token of a grant revokes the whole grant. False if the token is not live. */
  revokeGrantOfToken(token: string): boolean {
    const record = this.findAccessToken(token) ?? this.findRefreshToken(token);
    if (!record) return false;
    this.revokeGrant(grantKey(record.clientId, record.sub));
    return true;
  }

  /** One user's grant to one client (RISC tokens-revoked); false when there was none. */
  revokeClientGrant(clientId: string, sub: string): boolean {
    const key = grantKey(clientId, sub);
    if (!this.liveGrant(key)) return false;
    this.revokeGrant(key);
    return true;
  }

  /** The most recently minted live refresh token of a user at a client. */
  newestRefreshToken(clientId: string, sub: string): string | undefined {
    const grant = this.liveGrant(grantKey(clientId, sub));
    return grant?.refreshTokens.filter((token) => this.findRefreshToken(token)).at(-1);
  }

  /** Every grant of the user, all clients; returns how many there were. */
  revokeUser(sub: string): number {
    const userGrants = [...this.grants.values()].filter((g) => g.sub === sub);
    for (const grant of userGrants) this.revokeGrant(grantKey(grant.clientId, grant.sub));
    return userGrants.length;
  }

  /** Kills exactly these tokens (a replayed code's), not the rest of the grant. */
  revokeTokens(tokens: readonly string[]): void {
    for (const token of tokens) {
      this.accessTokens.delete(token);
      this.retireRefreshToken(token);
    }
  }

  private revokeGrant(key: string): void {
    const grant = this.grants.get(key);
    if (!grant) return;
    for (const token of grant.accessTokens) this.accessTokens.delete(token);
    for (const token of grant.refreshTokens) this.refreshTokens.delete(token);
    this.grants.delete(key);
  }

  /** The grant, unless its Testing-mode consent has run out (then it is forgotten). */
  private liveGrant(key: string): Grant | undefined {
    const grant = this.grants.get(key);
    if (grant?.expiresAtMs !== undefined && grant.expiresAtMs <= this.clock.nowMs()) {
      this.revokeGrant(key);
      return undefined;
    }
    return grant;
  }

  private grantFor(clientId: string, sub: string): Grant {
    const key = grantKey(clientId, sub);
    let grant = this.liveGrant(key);
    if (!grant) {
      this.lastGrantId += 1;
      grant = {
        id: this.lastGrantId,
        clientId,
        sub,
        scopes: [],
        refreshTokenIssued: false,
        refreshTokensMinted: 0,
        accessTokens: new Set(),
        refreshTokens: [],
      };
      this.grants.set(key, grant);
    }
    return grant;
  }

  /** Expired access tokens are forgotten now and then so long benchmarks do not grow memory. */
  private sweepExpiredNowAndThen(): void {
    this.issuesSinceSweep += 1;
    if (this.issuesSinceSweep < SWEEP_EVERY_ISSUES) return;
    this.issuesSinceSweep = 0;
    const now = this.clock.nowMs();
    for (const [token, record] of this.accessTokens) {
      if (record.expiresAtMs > now) continue;
      this.accessTokens.delete(token);
      this.grants.get(grantKey(record.clientId, record.sub))?.accessTokens.delete(token);
    }
  }
}

function grantKey(clientId: string, sub: string): string {
  return `${clientId}\u0000${sub}`;
}
