import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { GrantFailureReason } from './grant-failure-reason.js';

export enum TokenEventType {
  Issued = 'ISSUED',
  Refreshed = 'REFRESHED',
  RefreshFailed = 'REFRESH_FAILED',
  ReauthRequired = 'REAUTH_REQUIRED',
  Revoked = 'REVOKED',
  /** Google reported a security event about the account (Cross-Account Protection). */
  SecurityEvent = 'SECURITY_EVENT',
}

/** Audit trail of what happened to a user's grant. Never holds a secret. */
@Entity('token_events')
@Index('ix_token_events_user_created', ['userId', 'createdAt'])
@Index('ix_token_events_created_at', ['createdAt'])
export class TokenEventEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ type: 'varchar', length: 32 })
  type: TokenEventType;

  /** A machine-readable reason, such as Google's error code. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  code: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  detail: string | null;

  /** Why the grant died, or why Google refused the refresh; null on other events. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  reason: GrantFailureReason | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
