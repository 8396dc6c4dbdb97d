import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorPage, rateLimitPage } from './html-pages.js';
import { sendHtml, sendJson } from './http-util.js';
import type { EmulatorStats } from './stats.js';
import type { InjectableTokenError } from './token-errors.js';

export const FAULT_ENDPOINTS = [
  'token',
  'userinfo',
  'tokeninfo',
  'revoke',
  'certs',
  'authorization',
  '*',
] as const;
export const FAULT_STATUSES = [429, 500, 502, 503, 403] as const;

export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];
export type EmulatedEndpoint = Exclude<FaultEndpoint, '*'>;
export type FaultStatus = (typeof FAULT_STATUSES)[number];

export interface FaultSpec {
  endpoint: FaultEndpoint;
  latencyMs?: number;
  status?: FaultStatus;
  count?: number;
  timeout?: boolean;
  error?: InjectableTokenError;
  rotateRefreshTokens?: boolean;
}

interface ActiveFault extends FaultSpec {
  /** Answers (status, timeout or error) still to give. */
  remaining: number;
}

/** How long a "timeout" fault holds a request when the client never gives up. */
export const HOLD_LIMIT_MS = 30_000;

const API_ERRORS: Record<Exclude<FaultStatus, 403>, { message: string; status: string }> = {
  429: { message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' },
  500: { message: 'Internal error encountered.', status: 'INTERNAL' },
  502: { message: 'Bad Gateway', status: 'UNAVAILABLE' },
  503: { message: 'The service is currently unavailable.', status: 'UNAVAILABLE' },
};

/** Test-controlled misbehaviour: latency, error statuses, hung requests, token errors. */
export class FaultInjector {
  private faults: ActiveFault[] = [];
  private readonly releaseHeld = new Set<() => void>();

  constructor(
    private readonly stats: EmulatorStats,
    private readonly log: (line: string) => void,
  ) {}

  add(spec: FaultSpec): void {
    this.faults.push({ ...spec, remaining: spec.count ?? 1 });
    this.log(`google-emulator: fault added ${JSON.stringify(spec)}`);
  }

  clear(): void {
    this.faults = [];
  }

  list(): ActiveFault[] {
    return this.faults.map((fault) => ({ ...fault }));
  }

  get rotatesRefreshTokens(): boolean {
    return this.faults.some((fault) => fault.rotateRefreshTokens && appliesTo(fault, 'token'));
  }

  /** Applies latency, then a status or timeout fault. True when the fault answered. */
  async intercept(
    endpoint: EmulatedEndpoint,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<boolean> {
    const latencyMs = this.latencyFor(endpoint);
    if (latencyMs > 0) await delay(latencyMs);
    const fault = this.take(endpoint, (f) => f.status !== undefined || f.timeout === true);
    if (!fault) return false;
    if (fault.timeout) {
      this.stats.countError('timeout');
      this.log(`google-emulator: holding a ${endpoint} request (timeout fault)`);
      await this.holdUntilClientGivesUp(request, reply);
      return true;
    }
    const status = fault.status as FaultStatus;
    this.stats.countError(String(status));
    sendFaultStatus(reply, endpoint, status);
    return true;
  }

  /** The next injected token endpoint error, if any is armed. */
  takeTokenError(): InjectableTokenError | undefined {
    return this.take('token', (fault) => fault.error !== undefined)?.error;
  }

  /** Lets every held request go (on shutdown, so closing does not wait 30 s). */
  releaseHeldRequests(): void {
    for (const release of [...this.releaseHeld]) release();
  }

  private latencyFor(endpoint: EmulatedEndpoint): number {
    const latencies = this.faults
      .filter((f) => appliesTo(f, endpoint))
      .map((f) => f.latencyMs ?? 0);
    return Math.max(0, ...latencies);
  }

  private take(
    endpoint: EmulatedEndpoint,
    answers: (fault: ActiveFault) => boolean,
  ): ActiveFault | undefined {
    const fault = this.faults.find((f) => appliesTo(f, endpoint) && f.remaining > 0 && answers(f));
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0 && !isLasting(fault))
      this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }

  private async holdUntilClientGivesUp(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    reply.hijack();
    await new Promise<void>((resolve) => {
      const release = () => {
        clearTimeout(timer);
        reply.raw.off('close', release);
        this.releaseHeld.delete(release);
        resolve();
      };
      const timer = setTimeout(release, HOLD_LIMIT_MS);
      reply.raw.once('close', release);
      this.releaseHeld.add(release);
    });
    request.raw.socket?.destroy();
    reply.raw.destroy();
  }
}

/** Latency and rotation stay until cleared, whatever the count. */
function isLasting(fault: FaultSpec): boolean {
  return fault.latencyMs !== undefined || fault.rotateRefreshTokens === true;
}

function appliesTo(fault: FaultSpec, endpoint: EmulatedEndpoint): boolean {
  return fault.endpoint === '*' || fault.endpoint === endpoint;
}

function sendFaultStatus(
  reply: FastifyReply,
  endpoint: EmulatedEndpoint,
  status: FaultStatus,
): void {
  if (status === 403) {
    sendHtml(reply, 403, rateLimitPage());
  } else if (endpoint === 'authorization') {
    sendHtml(
      reply,
      status,
      errorPage(status, API_ERRORS[status].status, API_ERRORS[status].message),
    );
  } else {
    sendJson(reply, status, { error: { code: status, ...API_ERRORS[status] } });
  }
}
