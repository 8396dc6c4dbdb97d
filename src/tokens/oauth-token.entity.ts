import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { UserEntity } from '../users/user.entity.js';
import type { GrantFailureReason } from './grant-failure-reason.js';

export enum StoredTokenState {
  Active = 'ACTIVE',
  ReauthRequired = 'REAUTH_REQUIRED',
  Revoked = 'REVOKED',
}

/**
 * One user's Google grant. Both tokens are AES-256-GCM envelopes (see TokenCipher) bound to this
 * row's id and column name; `keyId` names the key both were written with.
 */
@Entity('oauth_tokens')
@Index('uq_oauth_tokens_user_provider', ['userId', 'provider'], { unique: true })
@Index('ix_oauth_tokens_state_expires_at', ['state', 'expiresAt'])
@Index('ix_oauth_tokens_state_updated_at', ['state', 'updatedAt'])
export class OAuthTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<UserEntity>;

  @Column({ type: 'varchar', length: 32, default: 'google' })
  provider: string;

  @Column({ name: 'access_token_ciphertext', type: 'text' })
  accessTokenCiphertext: string;

  @Column({ name: 'refresh_token_ciphertext', type: 'text', nullable: true })
  refreshTokenCiphertext: string | null;

  @Column({ name: 'key_id', type: 'varchar', length: 32 })
  keyId: string;

  /** Space-separated scopes Google granted (from the token response, not the request). */
  @Column({ type: 'text' })
  scopes: string;

  /** Canonical scopes the app asked this user for, at sign-in and later; null on older rows. */
  @Column({ name: 'requested_scopes', type: 'text', nullable: true })
  requestedScopes: string | null;

  @Column({ name: 'token_type', type: 'varchar', length: 32, default: 'Bearer' })
  tokenType: string;

  /** Absolute expiry computed on our clock from `expires_in` at receipt; null when Google gave none. */
  @Column({ name: 'expires_at', type: Date, nullable: true })
  expiresAt: Date | null;

  /** The lifetime Google gave this access token (`expires_in`); null on rows older than the column. */
  @Column({ name: 'lifetime_seconds', type: 'integer', nullable: true })
  lifetimeSeconds: number | null;

  @Column({ type: 'varchar', length: 24, default: StoredTokenState.Active })
  state: StoredTokenState;

  /** Bumped by every write of the tokens; writers update only the version they read. */
  @Column({ type: 'integer', default: 1 })
  version: number;

  @Column({ name: 'refresh_lease_owner', type: 'varchar', length: 64, nullable: true })
  refreshLeaseOwner: string | null;

  @Column({ name: 'refresh_lease_expires_at', type: Date, nullable: true })
  refreshLeaseExpiresAt: Date | null;

  /** Until then no instance calls Google for this grant: a refresh just failed for a passing reason. */
  @Column({ name: 'refresh_cooldown_until', type: Date, nullable: true })
  refreshCooldownUntil: Date | null;

  @Column({ name: 'last_refreshed_at', type: Date, nullable: true })
  lastRefreshedAt: Date | null;

  @Column({ name: 'refresh_count', type: 'integer', default: 0 })
  refreshCount: number;

  @Column({ name: 'last_error_code', type: 'varchar', length: 64, nullable: true })
  lastErrorCode: string | null;

  /** Why the grant died; null while it lives. */
  @Column({ name: 'failure_reason', type: 'varchar', length: 32, nullable: true })
  failureReason: GrantFailureReason | null;

  /** When Google issued the refresh token held now; null when none is held or on older rows. */
  @Column({ name: 'refresh_token_issued_at', type: Date, nullable: true })
  refreshTokenIssuedAt: Date | null;

  /** Refresh tokens Google minted for this user and client through us (Google keeps the newest 100). */
  @Column({ name: 'refresh_tokens_minted', type: 'integer', default: 0 })
  refreshTokensMinted: number;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;
}
