import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A sign-in in progress: created at GET /auth/google, consumed once at the callback.
 * Bound to the browser that started it through the hash of a cookie value.
 */
@Entity('login_states')
export class LoginStateEntity {
  @PrimaryColumn({ name: 'state_hash', type: 'varchar', length: 64 })
  stateHash: string;

  @Column({ name: 'browser_binding_hash', type: 'varchar', length: 64 })
  browserBindingHash: string;

  /** The PKCE verifier, encrypted with the token keyring (bound to the state hash). */
  @Column({ name: 'code_verifier_ciphertext', type: 'text' })
  codeVerifierCiphertext: string;

  @Column({ name: 'nonce_hash', type: 'varchar', length: 64 })
  nonceHash: string;

  @Column({ name: 'return_to', type: 'varchar', length: 512, default: '/' })
  returnTo: string;

  /** The scopes this sign-in asked Google for (canonical, space-separated). */
  @Column({ name: 'requested_scopes', type: 'text', nullable: true })
  requestedScopes: string | null;

  /** This sign-in sent prompt=consent: its callback never goes round for a refresh token again. */
  @Column({ name: 'prompted_consent', type: 'boolean', default: false })
  promptedConsent: boolean;

  @Index('ix_login_states_expires_at')
  @Column({ name: 'expires_at' })
  expiresAt: Date;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
