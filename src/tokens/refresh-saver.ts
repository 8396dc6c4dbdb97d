import { setTimeout as sleep } from 'node:timers/promises';
import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Gauge, Histogram } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service.js';
import type { OAuthTokenEntity } from './oauth-token.entity.js';
import { RefreshSpool } from './refresh-spool.js';
import { RefreshTokenBudget } from './refresh-token-budget.js';
import type { RefreshNote } from './token-merge.js';
import { TokenStore } from './token-store.service.js';

/** A refreshed row on its way to the database. */
interface PendingSave {
  baseVersion: number;
  refreshed: OAuthTokenEntity;
  /** What the REFRESHED event says. */
  note: Pick<RefreshNote, 'code' | 'detail' | 'refreshTokenRotated'>;
  /** The spool slot holding a copy (only when Google replaced the refresh token). */
  slot: string | null;
  failures: number;
  timer?: NodeJS.Timeout;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2000;

/**
 * Gets what Google answered into the database, and never lets a refresh token Google has just
 * replaced be lost on the way. A new refresh token is first spooled to disk (see RefreshSpool);
 * the write is retried for as long as the refresh lease protects it; after that the refreshed row
 * is held in memory, served to this instance's callers, and written in the background until the
 * database takes it. Start-up replays what the spool still holds before the app serves.
 */
@Injectable()
export class RefreshSaver implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RefreshSaver.name);
  /** By user id: refreshed rows the database has not taken yet. */
  private readonly unsaved = new Map<string, PendingSave>();
  private readonly spoolSeconds: Histogram;
  private stopped = false;

  constructor(
    private readonly store: TokenStore,
    private readonly spool: RefreshSpool,
    private readonly budget: RefreshTokenBudget,
    metrics: MetricsService,
  ) {
    this.spoolSeconds = new Histogram({
      name: 'tokenkeep_refresh_spool_seconds',
      help: "Time from Google's answer with a new refresh token to its durable copy in the spool: the window a crash could still lose it in",
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [metrics.registry],
    });
    const unsaved = this.unsaved;
    new Gauge({
      name: 'tokenkeep_unsaved_refreshes',
      help: 'Refreshed grants held in memory because the database has not taken them yet',
      registers: [metrics.registry],
      collect() {
        this.set(unsaved.size);
      },
    });
  }

  /** Replays the spool into the database before the app serves. */
  async onApplicationBootstrap(): Promise<void> {
    let adopted: Awaited<ReturnType<RefreshSpool['adoptOrphans']>>;
    try {
      adopted = await this.spool.adoptOrphans();
    } catch (error) {
      this.logger.error(
        `The refresh spool under ${this.spool.root} cannot be used (${(error as Error).message}): a new refresh token Google sends cannot be kept safe from a crash before the database has it`,
      );
      return;
    }
    const { entries, unreadable } = adopted;
    for (const path of unreadable)
      this.logger.warn(
        `${path} holds a damaged record (a write cut short, so never durable); ignored`,
      );
    for (const { baseVersion, refreshed, slot } of entries) {
      if (!this.readable(refreshed)) continue;
      const pending: PendingSave = {
        baseVersion,
        refreshed,
        note: {
          refreshTokenRotated: true,
          code: null,
          detail: 'refresh token rotated; replayed from the spool at start-up',
        },
        slot,
        failures: 0,
      };
      this.unsaved.set(refreshed.userId, pending);
      await this.attempt(pending);
    }
  }

  /** Background writes stop; what the database has not taken stays in the spool for the next start. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    const left = [...this.unsaved.values()];
    for (const pending of left) clearTimeout(pending.timer);
    await Promise.allSettled(left.map((pending) => this.attempt(pending)));
    for (const pending of this.unsaved.values()) {
      this.logger.warn(
        `The refreshed token of user ${pending.refreshed.userId} was not stored before shutdown${pending.slot ? '; the spool keeps it for the next start' : ''}`,
      );
    }
    await this.spool.close();
  }

  /** The refreshed row this instance holds for a user until the database takes it. */
  unsavedFor(userId: string): OAuthTokenEntity | undefined {
    return this.unsaved.get(userId)?.refreshed;
  }

  /**
   * Stores a refreshed row computed from `base`. Returns the row callers should use: as stored,
   * or as held in memory when the database did not take it before `leaseEndsAt`; null when
   * another writer got there first (a sign-in, a revocation).
   */
  async save(
    base: OAuthTokenEntity,
    refreshed: OAuthTokenEntity,
    note: RefreshNote,
    googleAnsweredAt: bigint,
    leaseEndsAt: number,
  ): Promise<OAuthTokenEntity | null> {
    const pending: PendingSave = {
      baseVersion: base.version,
      refreshed,
      note,
      slot: null,
      failures: 0,
    };
    if (note.refreshTokenRotated) await this.spoolDurably(pending, googleAnsweredAt);
    for (;;) {
      try {
        return await this.write(pending);
      } catch (error) {
        this.noteFailure(pending, error);
        const delayMs = retryDelayMs(pending.failures);
        if (Date.now() + delayMs >= leaseEndsAt) {
          this.hold(pending);
          return refreshed;
        }
        await sleep(delayMs);
      }
    }
  }

  private async spoolDurably(pending: PendingSave, googleAnsweredAt: bigint): Promise<void> {
    try {
      pending.slot = await this.spool.write({
        baseVersion: pending.baseVersion,
        refreshed: pending.refreshed,
      });
      this.spoolSeconds.observe(Number(process.hrtime.bigint() - googleAnsweredAt) / 1e9);
    } catch (error) {
      // The database write may still succeed; only a crash before it would lose the token now.
      this.logger.error(
        `Could not spool the new refresh token of user ${pending.refreshed.userId} to ${this.spool.directory}: ${(error as Error).message}`,
      );
    }
  }

  /** Writes a pending row; null when it was superseded. Throws when the database failed. */
  private async write(pending: PendingSave): Promise<OAuthTokenEntity | null> {
    const saved = await this.store.saveRefresh(
      pending.baseVersion,
      pending.refreshed,
      pending.note,
    );
    if (pending.slot !== null) {
      await this.spool.release(pending.slot).catch((error: unknown) => {
        this.logger.warn(`Could not free a spool slot: ${(error as Error).message}`);
      });
      pending.slot = null;
    }
    if (saved === null) {
      this.logger.warn(
        `The refreshed token of user ${pending.refreshed.userId} was superseded before it was stored (a sign-in or revocation came first)`,
      );
    }
    if (saved !== null && pending.note.refreshTokenRotated) return this.countMint(saved);
    return saved;
  }

  /** A rotation minted a refresh token: the stored count (a spooled row does not carry it) goes to the budget. */
  private async countMint(saved: OAuthTokenEntity): Promise<OAuthTokenEntity> {
    const stored = await this.store.findById(saved.id).catch(() => null);
    if (stored === null) return saved;
    this.budget.noteMinted(saved.userId, stored.refreshTokensMinted);
    return { ...saved, refreshTokensMinted: stored.refreshTokensMinted };
  }

  private hold(pending: PendingSave): void {
    this.unsaved.set(pending.refreshed.userId, pending);
    this.schedule(pending);
  }

  private schedule(pending: PendingSave): void {
    if (this.stopped) return;
    pending.timer = setTimeout(() => void this.attempt(pending), retryDelayMs(pending.failures));
    pending.timer.unref();
  }

  /** One background try: done (stored or superseded), or scheduled again. */
  private async attempt(pending: PendingSave): Promise<void> {
    try {
      await this.write(pending);
      if (this.unsaved.get(pending.refreshed.userId) === pending)
        this.unsaved.delete(pending.refreshed.userId);
      if (pending.failures > 0)
        this.logger.log(
          `The refreshed token of user ${pending.refreshed.userId} is stored after ${pending.failures} failed attempt(s)`,
        );
    } catch (error) {
      this.noteFailure(pending, error);
      this.schedule(pending);
    }
  }

  private noteFailure(pending: PendingSave, error: unknown): void {
    pending.failures += 1;
    if (pending.failures === 1 || pending.failures % 50 === 0) {
      this.logger.warn(
        `The refreshed token of user ${pending.refreshed.userId} is not stored yet (${(error as Error).message}); retrying${pending.slot ? ' (it is spooled)' : ''}`,
      );
    }
  }

  /** A spooled row whose key has left TOKEN_ENCRYPTION_KEYS must not reach the database. */
  private readable(refreshed: OAuthTokenEntity): boolean {
    try {
      this.store.accessTokenOf(refreshed);
      this.store.refreshTokenOf(refreshed);
      return true;
    } catch (error) {
      this.logger.error(
        `The spooled refresh of user ${refreshed.userId} cannot be decrypted (${(error as Error).message}); it is left in ${this.spool.directory}`,
      );
      return false;
    }
  }
}

function retryDelayMs(failures: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, failures - 1), MAX_RETRY_MS);
}
