import { Inject, Injectable, Logger } from '@nestjs/common';
import { Counter } from 'prom-client';
import { CacheCoherence } from '../cache/cache-coherence.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { googleEndpoints } from '../google/google-endpoints.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RiscActions } from './risc-actions.js';
import { RiscTransmitter, TransmitterUnavailableError } from './risc-transmitter.js';
import { SeenEventsStore } from './seen-events.store.js';
import { RejectedTokenError, verifySet, type SetExpectations } from './set-verifier.js';

/** iat may be this far in the future (clocks differ). */
const CLOCK_TOLERANCE_SECONDS = 60;

export type ReceiveResult = 'accepted' | 'rejected' | 'unavailable';

/**
 * Cross-Account Protection receiver: verifies each Security Event Token Google pushes, refuses
 * replays by `jti`, and acts on every event it carries. Every event is logged and counted; a
 * refused token is logged with the reason, never with the token.
 */
@Injectable()
export class RiscReceiver {
  private readonly logger = new Logger('Risc');
  private readonly transmitter: RiscTransmitter;
  private readonly expected: SetExpectations;
  private readonly events: Counter<'type' | 'outcome'>;

  constructor(
    private readonly actions: RiscActions,
    private readonly seen: SeenEventsStore,
    private readonly coherence: CacheCoherence,
    metrics: MetricsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.transmitter = new RiscTransmitter(
      googleEndpoints(config.google).riscConfiguration,
      config.google.httpTimeoutMs,
    );
    this.expected = {
      audience: config.google.clientId,
      maxAgeSeconds: config.risc.maxEventAgeSeconds,
      clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
    };
    this.events = new Counter({
      name: 'tokenkeep_risc_events_total',
      help: 'Security events (RISC) received, by event type and what became of them',
      labelNames: ['type', 'outcome'] as const,
      registers: [metrics.registry],
    });
  }

  /** `unavailable`: Google's keys could not be had, so nothing was checked (Google retries). */
  async receive(body: unknown, from: string): Promise<ReceiveResult> {
    let verified;
    try {
      if (typeof body !== 'string') throw new RejectedTokenError('the body is not a token');
      verified = await verifySet(body.trim(), this.transmitter, this.expected);
    } catch (error) {
      if (error instanceof TransmitterUnavailableError) {
        this.logger.warn(`RISC: could not check a security event token: ${error.message}`);
        return 'unavailable';
      }
      if (!(error instanceof RejectedTokenError)) throw error;
      this.events.inc({ type: 'none', outcome: 'rejected' });
      this.logger.warn(`RISC: refused a security event token from ${from}: ${error.message}`);
      return 'rejected';
    }
    const { issuer, jti, issuedAt, events } = verified;
    const forgetAfter = new Date(
      issuedAt.getTime() + (this.expected.maxAgeSeconds + CLOCK_TOLERANCE_SECONDS) * 1000,
    );
    if (!(await this.seen.claim(issuer, jti, forgetAfter))) {
      for (const event of events) this.events.inc({ type: event.name, outcome: 'replayed' });
      this.logger.warn(`RISC: refused a replayed security event token (jti ${jti}) from ${from}`);
      return 'rejected';
    }
    try {
      for (const event of events) {
        const outcome = await this.actions.apply(event);
        this.events.inc({ type: event.name, outcome });
        this.logger.log(`RISC: ${event.uri} (jti ${jti}): ${outcome}`);
      }
    } catch (error) {
      // Not acted on: let Google's retry of this very token through.
      await this.seen.release(issuer, jti);
      throw error;
    }
    // What the events ended (grants, sessions) holds on every instance before Google hears back.
    await this.coherence.settle();
    return 'accepted';
  }

  /** Drops the `jti`s of tokens that would be refused as stale anyway. */
  prune(): Promise<number> {
    return this.seen.prune();
  }
}
