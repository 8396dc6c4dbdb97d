import type { EmulatorClock } from './clock.js';
import type { AuthorizationRequest } from './authorization-request.js';
import { newRequestId } from './token-strings.js';

/** How long a consent page stays answerable. */
const PENDING_TTL_MS = 10 * 60 * 1000;

interface PendingEntry {
  request: AuthorizationRequest;
  expiresAtMs: number;
}

/** Authorization requests waiting for the consent form, keyed by the form's request_id. */
export class PendingRequests {
  private readonly entries = new Map<string, PendingEntry>();

  constructor(private readonly clock: EmulatorClock) {}

  add(request: AuthorizationRequest): string {
    this.dropExpired();
    const requestId = newRequestId();
    this.entries.set(requestId, { request, expiresAtMs: this.clock.nowMs() + PENDING_TTL_MS });
    return requestId;
  }

  /** Single use: the entry is gone once taken. */
  take(requestId: string): AuthorizationRequest | undefined {
    const entry = this.entries.get(requestId);
    this.entries.delete(requestId);
    if (!entry || entry.expiresAtMs <= this.clock.nowMs()) return undefined;
    return entry.request;
  }

  private dropExpired(): void {
    const now = this.clock.nowMs();
    for (const [requestId, entry] of this.entries) {
      if (entry.expiresAtMs <= now) this.entries.delete(requestId);
    }
  }
}
