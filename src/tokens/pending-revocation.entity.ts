import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A token to revoke at Google once it answers again; encrypted, bound to this row's id. */
@Entity('pending_revocations')
export class PendingRevocationEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId: string | null;

  @Column({ name: 'token_ciphertext', type: 'text' })
  tokenCiphertext: string;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Index('ix_pending_revocations_next_attempt_at')
  @Column({ name: 'next_attempt_at' })
  nextAttemptAt: Date;

  @Column({ name: 'last_error', type: 'varchar', length: 64, nullable: true })
  lastError: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
