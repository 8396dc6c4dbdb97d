import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, type EntityManager, type Repository } from 'typeorm';
import { AppError, AppErrorCode } from '../common/app-error.js';
import { sha256 } from '../common/hash.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { CacheCoherence } from '../cache/cache-coherence.js';
import { ReadCache } from '../cache/read-cache.js';
import { RawSelect } from '../database/raw-select.js';
import { UserEntity } from '../users/user.entity.js';
import { SessionEntity } from './session.entity.js';

/** Refresh last_seen_at at most this often, so reads do not turn into a write per request. */
const LAST_SEEN_GRANULARITY_MS = 60_000;

/** Sessions kept in memory (see CacheCoherence); about 1 KiB each. */
const MAX_CACHED_SESSIONS = 10_000;

export interface ActiveSession {
  userId: string;
  expiresAt: Date;
  /** SHA-256 of the session id: what an API token minted from this session records as its parent. */
  idHash: string;
  /** An API token: minted from another session, which it never outlives, and unable to mint more. */
  isApiToken: boolean;
  /** Its user, read in the same query as the session. */
  user: UserEntity;
}

/** A session as read for a request: with the session it was minted from (if any) and its user. */
interface SessionRow {
  session: SessionEntity;
  parent: SessionEntity | null;
  user: UserEntity;
}

/**
 * App sessions: the browser's (from sign-in) and API tokens (minted from a browser session). A
 * session ends at its absolute end, after the idle timeout, or when signed out; an API token also
 * ends with the session it was minted from.
 */
@Injectable()
export class SessionsService {
  private readonly sessionColumns: RawSelect<SessionEntity>;
  private readonly parentColumns: RawSelect<SessionEntity>;
  private readonly userColumns: RawSelect<UserEntity>;
  /** A session read from the database: one statement, built once, for the session, its parent and its user. */
  private readonly readSql: string;
  private readonly cache: ReadCache<SessionRow>;

  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly coherence: CacheCoherence,
  ) {
    this.cache = new ReadCache(coherence, {
      name: 'sessions',
      maxEntries: MAX_CACHED_SESSIONS,
      maxAgeMs: LAST_SEEN_GRANULARITY_MS,
      changes: { sessions: 'key-and-group', users: 'group' },
    });
    const dataSource = sessions.manager.connection;
    this.sessionColumns = new RawSelect(dataSource, SessionEntity, 's');
    this.parentColumns = new RawSelect(dataSource, SessionEntity, 'p');
    this.userColumns = new RawSelect(dataSource, UserEntity, 'u');
    this.readSql =
      `SELECT ${this.sessionColumns.columns()}, ${this.parentColumns.columns()}, ${this.userColumns.columns()}` +
      ` FROM ${this.sessionColumns.from()}` +
      ` LEFT JOIN ${this.parentColumns.from()} ON p.id_hash = s.parent_id_hash` +
      ` JOIN ${this.userColumns.from()} ON u.id = s.user_id` +
      ` WHERE s.id_hash = ${RawSelect.parameter(dataSource, 0)}`;
  }

  /** Starts a session and returns the raw id for the cookie; only its hash is stored. */
  async create(
    manager: EntityManager = this.sessions.manager,
    userId: string,
    now = new Date(),
  ): Promise<string> {
    // Sessions nobody presents again are never deleted on use: sweep the expired ones here.
    await manager.getRepository(SessionEntity).delete({ expiresAt: LessThan(now) });
    return this.insert(manager, { userId, parentIdHash: null, expiresAt: this.endFrom(now) }, now);
  }

  /** An API token for the holder of `parent`: it ends no later than the parent, and with it. */
  async createApiToken(parent: ActiveSession, now = new Date()): Promise<string> {
    if (parent.isApiToken) {
      throw new AppError(AppErrorCode.Forbidden, 'An API token cannot create API tokens');
    }
    const expiresAt = new Date(Math.min(this.endFrom(now).getTime(), parent.expiresAt.getTime()));
    return this.insert(
      this.sessions.manager,
      { userId: parent.userId, parentIdHash: parent.idHash, expiresAt },
      now,
    );
  }

  /**
   * The live session behind a raw id, with its user, or null when unknown, ended, or (an API
   * token) its parent ended. Served from memory while CacheCoherence vouches for it; anything
   * that looks ended there is read again before it is refused.
   */
  async resolve(rawId: string | undefined, now = new Date()): Promise<ActiveSession | null> {
    if (!rawId || rawId.length > 128) return null;
    const idHash = sha256(rawId);
    const found = await this.cache.get(
      idHash,
      () => this.read(idHash),
      (row) => this.isLive(row, now) && { groups: groupsOf(row) },
    );
    if (!found || (await this.endIfOver(found, now))) return null;
    const { session, user } = found;
    if (now.getTime() - session.lastSeenAt.getTime() > LAST_SEEN_GRANULARITY_MS) {
      await this.sessions.update({ idHash }, { lastSeenAt: now });
      this.cache.evict(idHash);
    }
    return {
      userId: session.userId,
      expiresAt: session.expiresAt,
      idHash,
      isApiToken: session.parentIdHash !== null,
      user,
    };
  }

  /** True (and the session deleted) when it, or the session it was minted from, has ended. */
  private async endIfOver({ session, parent }: SessionRow, now: Date): Promise<boolean> {
    if (
      this.isOver(session, now) ||
      (session.parentIdHash !== null && (!parent || this.isOver(parent, now)))
    ) {
      // Deleting a parent deletes its API tokens too (ON DELETE CASCADE).
      await this.sessions.delete({ idHash: session.idHash });
      return true;
    }
    return false;
  }

  private isLive({ session, parent }: SessionRow, now: Date): boolean {
    return (
      !this.isOver(session, now) &&
      (session.parentIdHash === null || (parent !== null && !this.isOver(parent, now)))
    );
  }

  /** Past its absolute end, or idle for too long. */
  private isOver(session: SessionEntity, now: Date): boolean {
    const idleMs = now.getTime() - session.lastSeenAt.getTime();
    return session.expiresAt <= now || idleMs > this.config.session.idleTimeoutSeconds * 1000;
  }

  private async read(idHash: string): Promise<SessionRow | null> {
    const rows: Record<string, unknown>[] = await this.sessions.manager.query(this.readSql, [
      idHash,
    ]);
    const row = rows[0];
    const session = row && this.sessionColumns.hydrate(row);
    const user = row && this.userColumns.hydrate(row);
    if (!session || !user) return null;
    return { session, parent: this.parentColumns.hydrate(row), user };
  }

  /**
   * Ends one session, and the API tokens minted from it; returns once no instance accepts them
   * any more (CacheCoherence.settle).
   */
  async destroy(rawId: string | undefined): Promise<void> {
    if (!rawId) return;
    const idHash = sha256(rawId);
    await this.sessions.delete({ idHash });
    this.cache.evict(idHash);
    await this.coherence.settle();
  }

  /** Within a caller's transaction (sign-in replacing a session): not waited for everywhere. */
  async destroyWithin(manager: EntityManager, rawId: string): Promise<void> {
    await manager.getRepository(SessionEntity).delete({ idHash: sha256(rawId) });
  }

  /** Signs a user out everywhere, every session and API token they hold; returns as destroy() does. */
  async destroyAllOf(userId: string): Promise<void> {
    await this.sessions.delete({ userId });
    this.cache.evictGroup(userId);
    await this.coherence.settle();
  }

  private endFrom(now: Date): Date {
    return new Date(now.getTime() + this.config.session.absoluteTimeoutSeconds * 1000);
  }

  private async insert(
    manager: EntityManager,
    session: Pick<SessionEntity, 'userId' | 'parentIdHash' | 'expiresAt'>,
    now: Date,
  ): Promise<string> {
    const rawId = randomBytes(32).toString('base64url');
    await manager
      .getRepository(SessionEntity)
      .insert({ ...session, idHash: sha256(rawId), lastSeenAt: now });
    return rawId;
  }
}

/**
 * What else a cached session goes with: a change of its user's row, or of the session it was
 * minted from (an API token), evicts it too.
 */
function groupsOf({ session, user }: SessionRow): string[] {
  return session.parentIdHash === null ? [user.id] : [user.id, session.parentIdHash];
}
