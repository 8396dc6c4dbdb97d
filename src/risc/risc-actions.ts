import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { googleEndpoints } from '../google/google-endpoints.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { GrantFailureReason } from '../tokens/grant-failure-reason.js';
import { StoredTokenState, type OAuthTokenEntity } from '../tokens/oauth-token.entity.js';
import { TokenEventType } from '../tokens/token-event.entity.js';
import { TokenStore } from '../tokens/token-store.service.js';
import { UserEntity } from '../users/user.entity.js';
import { GrantFinder } from './grant-finder.js';
import { sameIssuer, type SecurityEvent } from './security-events.js';

/** What became of one event: the `outcome` label of tokenkeep_risc_events_total. */
export type EventOutcome = 'applied' | 'unknown_subject' | 'acknowledged' | 'ignored';

/** A row that changed under us (a refresh or sign-in landed) is read again, this many times. */
const WRITE_ATTEMPTS = 5;

/** Acts on one verified security event: ends sessions, marks or forgets the user's grant. */
@Injectable()
export class RiscActions {
  private readonly logger = new Logger('Risc');
  private readonly googleIssuers: string[];

  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: TokenStore,
    private readonly sessions: SessionsService,
    private readonly grants: GrantFinder,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.googleIssuers = googleEndpoints(config.google).issuers;
  }

  async apply(event: SecurityEvent): Promise<EventOutcome> {
    switch (event.name) {
      case 'verification':
        this.logger.log(`RISC verification received (state ${JSON.stringify(event.state)})`);
        return 'acknowledged';
      case 'account-enabled':
      case 'unsupported':
        return 'ignored';
      case 'token-revoked':
        return this.revokeOneToken(event);
      default:
        return this.actOnAccount(event);
    }
  }

  private async actOnAccount(event: SecurityEvent): Promise<EventOutcome> {
    const userId = await this.userOf(event);
    if (userId === null) return 'unknown_subject';
    await this.recordSecurityEvent(userId, event);
    switch (event.name) {
      case 'tokens-revoked':
      case 'token-revoked':
        await this.markRevoked(userId, () => this.store.findByUser(userId), event.name);
        break;
      case 'sessions-revoked':
        await this.sessions.destroyAllOf(userId);
        break;
      case 'account-disabled':
      case 'account-purged':
        await this.sessions.destroyAllOf(userId);
        await this.forgetTokens(userId, event);
        break;
      default:
        // account-credential-change-required: the audit entry is the action.
        break;
    }
    return 'applied';
  }

  private async revokeOneToken(event: SecurityEvent): Promise<EventOutcome> {
    const subject = event.subject;
    if (subject?.kind !== 'refresh-token') return this.actOnAccount(event);
    const row = await this.grants.holding(subject);
    if (row === null) return 'unknown_subject';
    await this.recordSecurityEvent(row.userId, event);
    await this.markRevoked(row.userId, () => this.grants.holding(subject), event.name);
    return 'applied';
  }

  /** The grant is dead (REVOKED): no instance calls Google for it until the user signs in again. */
  private async markRevoked(
    userId: string,
    read: () => Promise<OAuthTokenEntity | null>,
    code: string,
  ): Promise<void> {
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const row = await read();
      if (!row || row.state === StoredTokenState.Revoked) return;
      if (await this.store.markReauthRequired(row, `risc:${code}`, GrantFailureReason.Revoked))
        return;
    }
    throw new Error(`the grant of user ${userId} kept changing while marking it revoked`);
  }

  private async forgetTokens(userId: string, event: SecurityEvent): Promise<void> {
    const detail = `Google reported ${describe(event)}`;
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const row = await this.store.findByUser(userId);
      if (!row || row.state === StoredTokenState.Revoked) return;
      const forgotten = await this.dataSource.transaction((manager) =>
        this.store.forgetTokens(manager, row, detail),
      );
      if (forgotten) return;
    }
    throw new Error(`the grant of user ${userId} kept changing while forgetting it`);
  }

  private async userOf(event: SecurityEvent): Promise<string | null> {
    const subject = event.subject;
    if (subject?.kind !== 'account') return null;
    if (!this.googleIssuers.some((issuer) => sameIssuer(issuer, subject.issuer))) return null;
    const user = await this.users.findOne({
      where: { googleSub: subject.sub },
      select: { id: true },
    });
    return user?.id ?? null;
  }

  private recordSecurityEvent(userId: string, event: SecurityEvent): Promise<void> {
    return this.store.recordEvent(
      userId,
      TokenEventType.SecurityEvent,
      event.name,
      `Google reported ${describe(event)}`,
    );
  }
}

function describe(event: SecurityEvent): string {
  return event.reason === null ? event.name : `${event.name} (reason: ${event.reason})`;
}
