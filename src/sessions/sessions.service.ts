import { randomBytes } from 'node:crypto';
import { sha256 } from '../common/hash.js';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, type EntityManager, type Repository } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { SessionEntity } from './session.entity.js';

/** Refresh last_seen_at at most this often, so reads do not turn into a write per request. */
const LAST_SEEN_GRANULARITY_MS = 60_000;

export interface ActiveSession {
  userId: string;
  expiresAt: Date;
}

@Injectable()
export class SessionsService {
  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Starts a session and returns the raw id for the cookie; only its hash is stored. */
  async create(
    manager: EntityManager = this.sessions.manager,
    userId: string,
    now = new Date(),
  ): Promise<string> {
    const rawId = randomBytes(32).toString('base64url');
    // Sessions nobody presents again are never deleted on use: sweep the expired ones here.
    await manager.getRepository(SessionEntity).delete({ expiresAt: LessThan(now) });
    await manager.getRepository(SessionEntity).insert({
      idHash: sha256(rawId),
      userId,
      expiresAt: new Date(now.getTime() + this.config.session.absoluteTimeoutSeconds * 1000),
      lastSeenAt: now,
    });
    return rawId;
  }

  /** The live session behind a cookie value, or null when unknown, idle too long or past its end. */
  async resolve(rawId: string | undefined, now = new Date()): Promise<ActiveSession | null> {
    if (!rawId || rawId.length > 128) return null;
    const idHash = sha256(rawId);
    const session = await this.sessions.findOneBy({ idHash });
    if (!session) return null;
    const idleSince = now.getTime() - session.lastSeenAt.getTime();
    if (session.expiresAt <= now || idleSince > this.config.session.idleTimeoutSeconds * 1000) {
      await this.sessions.delete({ idHash });
      return null;
    }
    if (idleSince > LAST_SEEN_GRANULARITY_MS)
      await this.sessions.update({ idHash }, { lastSeenAt: now });
    return { userId: session.userId, expiresAt: session.expiresAt };
  }

  async destroy(
    rawId: string | undefined,
    manager: EntityManager = this.sessions.manager,
  ): Promise<void> {
    if (rawId) await manager.getRepository(SessionEntity).delete({ idHash: sha256(rawId) });
  }
}
