import { afterEach } from '@jest/globals';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AppError } from '../common/app-error.js';
import { loadConfig, type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { parseKeyring } from '../config/keyring.js';
import { GoogleApiError, GoogleErrorKind } from '../google/google-api.error.js';
import { GoogleClient } from '../google/google.client.js';
import type { TokenResponse } from '../google/token-response.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { OAuthTokenEntity, StoredTokenState } from './oauth-token.entity.js';
import { GrantFailureReason } from './grant-failure-reason.js';
import { RefreshSaver } from './refresh-saver.js';
import { RefreshTokenBudget } from './refresh-token-budget.js';
import { RefreshSpool, type SpooledRefresh } from './refresh-spool.js';
import { TokenEventType } from './token-event.entity.js';
import type { MergedTokens } from './token-merge.js';
import type { RefreshNeed } from './refresh-need.js';
import { TokenRefresher } from './token-refresher.js';
import { TokenService } from './token.service.js';
import { TokenStore } from './token-store.service.js';

export const USER = 'user-1';

/** A token row as a test wants it; tokens are stored in clear in these fakes. */
export function tokenRow(overrides: Partial<OAuthTokenEntity> = {}): OAuthTokenEntity {
  const now = new Date();
  return {
    id: 'row-1',
    userId: USER,
    provider: 'google',
    accessTokenCiphertext: 'ya29.v1',
    refreshTokenCiphertext: '1//refresh-1',
    keyId: 'k',
    scopes: 'openid email',
    requestedScopes: null,
    tokenType: 'Bearer',
    expiresAt: new Date(now.getTime() + 3_599_000),
    lifetimeSeconds: 3599,
    state: StoredTokenState.Active,
    version: 1,
    refreshLeaseOwner: null,
    refreshLeaseExpiresAt: null,
    refreshCooldownUntil: null,
    lastRefreshedAt: null,
    refreshCount: 0,
    lastErrorCode: null,
    failureReason: null,
    refreshTokenIssuedAt: null,
    refreshTokensMinted: 0,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

/** A database error the way the pg driver reports an unreachable server. */
export function databaseDown(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
}

/**
 * The TokenStore's contract over one in-memory row, conditional writes included: a write applies
 * only to the version it read, and a lease only when free or expired. Tokens are kept in clear.
 */
export class FakeTokenStore {
  row: OAuthTokenEntity | null = tokenRow();
  readonly events: {
    type: TokenEventType;
    code: string | null;
    detail: string | null;
    reason?: GrantFailureReason | null;
  }[] = [];
  /** Errors the next saveRefresh calls throw, in order. */
  readonly saveFailures: Error[] = [];
  saveAttempts = 0;
  /** Runs just before markReauthRequired writes (to stage a sign-in racing it). */
  beforeMarkReauth: (() => void) | undefined;

  findByUser(userId: string): Promise<OAuthTokenEntity | null> {
    return Promise.resolve(this.row && this.row.userId === userId ? { ...this.row } : null);
  }

  /** No cache here: the TokenStore's own is tested against a database (test/read-cache.*). */
  findForRequest(userId: string): Promise<OAuthTokenEntity | null> {
    return this.findByUser(userId);
  }

  findById(id: string): Promise<OAuthTokenEntity | null> {
    return Promise.resolve(this.row && this.row.id === id ? { ...this.row } : null);
  }

  tryAcquireLease(
    read: OAuthTokenEntity,
    owner: string,
    now: Date,
    leaseMs: number,
  ): Promise<boolean> {
    const row = this.row;
    const free =
      row !== null &&
      row.version === read.version &&
      (row.refreshLeaseOwner === null || (row.refreshLeaseExpiresAt ?? now) < now);
    if (free) {
      row.refreshLeaseOwner = owner;
      row.refreshLeaseExpiresAt = new Date(now.getTime() + leaseMs);
    }
    return Promise.resolve(free);
  }

  releaseLease(read: OAuthTokenEntity, owner: string): Promise<void> {
    if (this.row?.refreshLeaseOwner === owner) {
      this.row.refreshLeaseOwner = null;
      this.row.refreshLeaseExpiresAt = null;
    }
    return Promise.resolve();
  }

  releaseAfterFailure(
    read: OAuthTokenEntity,
    owner: string,
    cooldownUntil: Date,
    code: string,
    detail: string,
    reason: GrantFailureReason | null = null,
  ): Promise<void> {
    if (this.row?.refreshLeaseOwner === owner) {
      Object.assign(this.row, {
        refreshLeaseOwner: null,
        refreshLeaseExpiresAt: null,
        refreshCooldownUntil: cooldownUntil,
        lastErrorCode: code,
      });
    }
    this.events.push({ type: TokenEventType.RefreshFailed, code, detail, reason });
    return Promise.resolve();
  }

  refreshedRow(row: OAuthTokenEntity, merged: MergedTokens, refreshedAt: Date): OAuthTokenEntity {
    return {
      ...row,
      accessTokenCiphertext: merged.accessToken,
      refreshTokenCiphertext: merged.refreshToken,
      expiresAt: merged.expiresAt,
      lifetimeSeconds: merged.lifetimeSeconds,
      version: row.version + 1,
      refreshCount: row.refreshCount + 1,
      lastRefreshedAt: refreshedAt,
      refreshLeaseOwner: null,
      refreshLeaseExpiresAt: null,
      refreshCooldownUntil: null,
      lastErrorCode: null,
      failureReason: null,
      updatedAt: refreshedAt,
    };
  }

  saveRefresh(
    baseVersion: number,
    refreshed: OAuthTokenEntity,
    note: { code: string | null; detail: string | null },
  ): Promise<OAuthTokenEntity | null> {
    this.saveAttempts += 1;
    const failure = this.saveFailures.shift();
    if (failure) return Promise.reject(failure);
    const row = this.row;
    if (row === null) return Promise.resolve(null);
    let version = baseVersion + 1;
    if (row.version !== baseVersion) {
      const staleMark =
        row.version === baseVersion + 1 &&
        row.state === StoredTokenState.ReauthRequired &&
        row.lastErrorCode === 'invalid_grant';
      if (!staleMark) return Promise.resolve(null);
      version = baseVersion + 2;
    }
    this.row = { ...refreshed, state: StoredTokenState.Active, version };
    this.events.push({ type: TokenEventType.Refreshed, ...note });
    return Promise.resolve({ ...this.row });
  }

  markReauthRequired(
    read: OAuthTokenEntity,
    code: string,
    reason: GrantFailureReason = GrantFailureReason.Unknown,
  ): Promise<boolean> {
    this.beforeMarkReauth?.();
    const row = this.row;
    if (row === null || row.version !== read.version) return Promise.resolve(false);
    Object.assign(row, {
      state: StoredTokenState.ReauthRequired,
      lastErrorCode: code,
      failureReason: reason,
      version: row.version + 1,
      refreshLeaseOwner: null,
      refreshLeaseExpiresAt: null,
    });
    this.events.push({ type: TokenEventType.ReauthRequired, code, detail: null, reason });
    return Promise.resolve(true);
  }

  /** What a sign-in does to the row: new tokens, ACTIVE, a new version. */
  signInAgain(): void {
    const row = this.row ?? tokenRow();
    this.row = tokenRow({
      accessTokenCiphertext: 'ya29.signed-in-again',
      refreshTokenCiphertext: '1//signed-in-again',
      version: row.version + 1,
      refreshCount: row.refreshCount,
    });
  }

  accessTokenOf(row: OAuthTokenEntity): string {
    return row.accessTokenCiphertext;
  }

  refreshTokenOf(row: OAuthTokenEntity): string | null {
    return row.refreshTokenCiphertext;
  }

  recentEvents(): Promise<never[]> {
    return Promise.resolve([]);
  }
}

/** Google's token endpoint, scripted: each call answers with the next outcome, or a fresh token. */
export class FakeGoogle {
  readonly refreshTokensSent: string[] = [];
  /** Answers of the next calls, in order; an Error is thrown. */
  readonly outcomes: (Partial<TokenResponse> | Error)[] = [];
  /** When set, every call waits for it before answering (to keep a refresh in flight). */
  hold: Promise<void> | undefined;
  lifetimeSeconds = 3599;
  /** Whether userinfo accepts an access token (false: Google's 401). */
  accessTokenAccepted = false;
  readonly userinfoTokens: string[] = [];

  get calls(): number {
    return this.refreshTokensSent.length;
  }

  async refreshAccessToken(refreshToken: string): Promise<TokenResponse> {
    this.refreshTokensSent.push(refreshToken);
    if (this.hold) await this.hold;
    const outcome = this.outcomes.shift() ?? {};
    if (outcome instanceof Error) throw outcome;
    return {
      accessToken: `ya29.call-${this.calls}`,
      expiresInSeconds: this.lifetimeSeconds,
      expiresInAssumed: false,
      ...outcome,
    };
  }

  userinfo(accessToken: string): Promise<{ sub: string }> {
    this.userinfoTokens.push(accessToken);
    if (this.accessTokenAccepted) return Promise.resolve({ sub: '1' });
    return Promise.reject(
      new GoogleApiError(GoogleErrorKind.InvalidToken, 'access token refused', 401),
    );
  }
}

export function invalidGrant(): GoogleApiError {
  return new GoogleApiError(
    GoogleErrorKind.InvalidGrant,
    'Token has been expired or revoked.',
    400,
    'invalid_grant',
  );
}

export function googleDown(): GoogleApiError {
  return new GoogleApiError(GoogleErrorKind.Unavailable, 'HTTP 503', 503);
}

/** The spool's contract in memory: what was written and not released. */
export class FakeSpool {
  readonly held = new Map<string, SpooledRefresh>();
  private next = 0;
  readonly root = '(memory)';
  readonly directory = '(memory)';

  write(entry: SpooledRefresh): Promise<string> {
    const slot = `slot-${this.next++}`;
    this.held.set(slot, entry);
    return Promise.resolve(slot);
  }

  release(slot: string): Promise<void> {
    this.held.delete(slot);
    return Promise.resolve();
  }

  adoptOrphans(): Promise<{
    entries: (SpooledRefresh & { slot: string })[];
    unreadable: string[];
  }> {
    return Promise.resolve({
      entries: [...this.held].map(([slot, entry]) => ({ ...entry, slot })),
      unreadable: [],
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface RefreshCore {
  context: INestApplicationContext;
  refresher: TokenRefresher;
  service: TokenService;
  saver: RefreshSaver;
  store: FakeTokenStore;
  google: FakeGoogle;
  spool: FakeSpool;
  config: AppConfig;
}

/**
 * The refresh core (TokenRefresher, RefreshSaver, TokenService) in a Nest context of its own, with
 * the store, Google and the spool replaced by the fakes above: Nest's DI as in the app, no database.
 */
export async function startRefreshCore(
  refresh: Partial<AppConfig['refresh']> = {},
): Promise<RefreshCore> {
  const draft = loadConfig({ NODE_ENV: 'test' });
  const config: AppConfig = {
    ...draft,
    tokenKeyring: parseKeyring(`k:${Buffer.alloc(32, 1).toString('base64')}`),
    refresh: { ...draft.refresh, leaseMs: 400, deadlineMs: 200, ...refresh },
  };
  const store = new FakeTokenStore();
  const google = new FakeGoogle();
  const spool = new FakeSpool();
  const noDatabase = { query: () => Promise.resolve([]) } as unknown as DataSource;
  class RefreshCoreModule {}
  const context = await NestFactory.createApplicationContext(
    {
      module: RefreshCoreModule,
      providers: [
        TokenRefresher,
        RefreshSaver,
        RefreshTokenBudget,
        TokenService,
        { provide: TokenStore, useValue: store },
        { provide: GoogleClient, useValue: google },
        { provide: RefreshSpool, useValue: spool },
        { provide: MetricsService, useValue: new MetricsService(noDatabase) },
        { provide: APP_CONFIG, useValue: config },
      ],
    },
    { logger: false },
  );
  await context.init();
  return {
    context,
    refresher: context.get(TokenRefresher),
    service: context.get(TokenService),
    saver: context.get(RefreshSaver),
    store,
    google,
    spool,
    config,
  };
}

/**
 * For the tests of one describe block: `start()` makes a fresh core for the test, closed after it.
 * Call it in the describe body (it registers the afterEach).
 */
export function refreshCorePerTest(): (
  refresh?: Partial<AppConfig['refresh']>,
) => Promise<RefreshCore> {
  let core: RefreshCore | undefined;
  afterEach(async () => {
    await core?.context.close();
    core = undefined;
  });
  return async (refresh = {}) => (core = await startRefreshCore(refresh));
}

/**
 * Starts a refresh of an expired token and holds Google's answer until `release()`; resolves once
 * Google has the call. Set `google.outcomes` first to choose that answer.
 */
export async function heldRefresh(
  { refresher, store, google }: RefreshCore,
  need: RefreshNeed,
): Promise<{ flight: Promise<OAuthTokenEntity>; release: () => void }> {
  store.row = tokenRow({ expiresAt: new Date(Date.now() - 1000) });
  const hold = gate();
  google.hold = hold.opened;
  const flight = refresher.refresh(USER, need);
  await eventually(() => google.calls === 1);
  return { flight, release: hold.open };
}

/** A promise and the function that settles it. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Polls until `probe` is true, at most `withinMs`. */
export async function eventually(probe: () => boolean, withinMs = 3000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`not true within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The AppError a piece of work fails with (any other outcome fails the test). */
export async function appErrorOf(work: Promise<unknown>): Promise<AppError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}
