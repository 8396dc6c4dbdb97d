import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** An app session. The cookie holds a random id; only its SHA-256 is stored, so a dump cannot be replayed. */
@Entity('sessions')
export class SessionEntity {
  @PrimaryColumn({ name: 'id_hash', type: 'varchar', length: 64 })
  idHash: string;

  @Index('ix_sessions_user_id')
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  /** Set on an API token: the session it was minted from, which it never outlives (ON DELETE CASCADE). */
  @Index('ix_sessions_parent_id_hash')
  @Column({ name: 'parent_id_hash', type: 'varchar', length: 64, nullable: true })
  parentIdHash: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  /** Absolute end of the session, whatever its activity. */
  @Index('ix_sessions_expires_at')
  @Column({ name: 'expires_at' })
  expiresAt: Date;

  @Column({ name: 'last_seen_at' })
  lastSeenAt: Date;
}
