import type { EmulatorContext } from './emulator-context.js';

/** When a user last signed in interactively to a client (consent page, not prompt=none). */
export interface SignIn {
  /** Increases with every interactive sign-in, so "after the policy was set" needs no clock. */
  sequence: number;
  atMs: number;
}

/**
 * A Google Workspace session-control policy: the user must sign in again, now (no session
 * length) or once `sessionLengthSeconds` have passed since their last sign-in. Until then
 * refresh grants fail with invalid_rapt; the grant itself stays alive.
 */
export interface ReauthPolicy {
  sub: string;
  /** Undefined: every client of the user. */
  clientId?: string;
  sessionLengthSeconds?: number;
  /** The sign-in sequence number when the policy was set. */
  setAfterSequence: number;
}

export class ReauthPolicies {
  private policies: ReauthPolicy[] = [];

  /** Adds the policy, replacing the one for the same user and client. */
  set(policy: ReauthPolicy): void {
    this.policies = [
      ...this.policies.filter((p) => p.sub !== policy.sub || p.clientId !== policy.clientId),
      policy,
    ];
  }

  list(): ReauthPolicy[] {
    return this.policies.map((policy) => ({ ...policy }));
  }

  clear(): void {
    this.policies = [];
  }

  /** True when a refresh (or a silent sign-in) of this user at this client needs a new sign-in. */
  reauthDue(clientId: string, sub: string, lastSignIn: SignIn | undefined, nowMs: number): boolean {
    return this.policies.some(
      (policy) =>
        policy.sub === sub &&
        (policy.clientId === undefined || policy.clientId === clientId) &&
        sessionOver(policy, lastSignIn, nowMs),
    );
  }
}

function sessionOver(policy: ReauthPolicy, lastSignIn: SignIn | undefined, nowMs: number): boolean {
  if (!lastSignIn) return true;
  if (policy.sessionLengthSeconds === undefined) {
    return lastSignIn.sequence <= policy.setAfterSequence;
  }
  return nowMs - lastSignIn.atMs > policy.sessionLengthSeconds * 1000;
}

/** The policy check against this emulator's sign-ins and clock. */
export function reauthDue(ctx: EmulatorContext, clientId: string, sub: string): boolean {
  const lastSignIn = ctx.grants.lastSignIn(clientId, sub);
  return ctx.reauth.reauthDue(clientId, sub, lastSignIn, ctx.clock.nowMs());
}
