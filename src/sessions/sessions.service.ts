import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, type EntityManager, type Repository } from 'typeorm';
import { AppError, AppErrorCode } from '../common/app-error.js';
import { sha256 } from '../common/hash.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { RawSelect } from '../database/raw-select.js';
import { UserEntity } from '../users/user.entity.js';
import { SessionEntity } from './session.entity.js';

/** Refresh last_seen_at at most this often, so reads do not turn into a write per request. */
const LAST_SEEN_GRANULARITY_MS = 60_000;

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
  /** Every request reads its session: one statement, built once, for the session, its parent and its user. */
  private readonly readSql: string;

  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
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
   * token) its parent ended.
   */
  async resolve(rawId: string | undefined, now = new Date()): Promise<ActiveSession | null> {
    if (!rawId || rawId.length > 128) return null;
    const found = await this.read(sha256(rawId));
    if (!found) return null;
    const { session, parent, user } = found;
    if (!(await this.stillLive(session, now))) return null;
    // Deleting the parent deletes its API tokens too (ON DELETE CASCADE).
    if (session.parentIdHash !== null && (!parent || !(await this.stillLive(parent, now)))) {
      await this.sessions.delete({ idHash: session.idHash });
      return null;
    }
    if (now.getTime() - session.lastSeenAt.getTime() > LAST_SEEN_GRANULARITY_MS)
      await this.sessions.update({ idHash: session.idHash }, { lastSeenAt: now });
    return {
      userId: session.userId,
      expiresAt: session.expiresAt,
      idHash: session.idHash,
      isApiToken: session.parentIdHash !== null,
      user,
    };
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

  /** Ends one session, and the API tokens minted from it. */
  async destroy(
    rawId: string | undefined,
    manager: EntityManager = this.sessions.manager,
  ): Promise<void> {
    if (rawId) await manager.getRepository(SessionEntity).delete({ idHash: sha256(rawId) });
  }

  /** Signs a user out everywhere: every session and every API token they hold. */
  async destroyAllOf(userId: string): Promise<void> {
    await this.sessions.delete({ userId });
  }

  /** False (and the session deleted) once it is past its absolute end or idle for too long. */
  private async stillLive(session: SessionEntity, now: Date): Promise<boolean> {
    const idleMs = now.getTime() - session.lastSeenAt.getTime();
    if (session.expiresAt > now && idleMs <= this.config.session.idleTimeoutSeconds * 1000)
      return true;
    await this.sessions.delete({ idHash: session.idHash });
    return false;
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
