import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A security event token already received: SHA-256 of its issuer and `jti`, never the token. */
@Entity('risc_seen_events')
export class SeenEventEntity {
  @PrimaryColumn({ name: 'jti_hash', type: 'varchar', length: 64 })
  jtiHash: string;

  /** Past this, the token is refused as stale anyway, so the row may go. */
  @Index('ix_risc_seen_events_forget_after')
  @Column({ name: 'forget_after', type: Date })
  forgetAfter: Date;
}
