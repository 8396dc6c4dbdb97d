import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import pg from 'pg';
import { Gauge } from 'prom-client';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { MetricsService } from '../metrics/metrics.service.js';

/** The channel the database's triggers announce changed rows on (migration 1764860400000). */
export const CACHE_CHANNEL = 'tokenkeep_cache';

/** A heartbeat's payload, `hb:<instance>:<sequence>:<maxLagMs>`; a changed row's is `<table>:<key>`. */
const HEARTBEAT = 'hb:';

/** Another instance's CACHE_MAX_LAG_MS counts for settle() this long after its last heartbeat. */
const PEER_LAG_KEPT_MS = 10_000;

/** CACHE_MAX_LAG_MS's largest value: a heartbeat claiming more is not believed beyond it. */
const MAX_PEER_LAG_MS = 5000;

/** The key of a notice that every row of its table changed (TRUNCATE). */
export const ALL_ROWS = '*';

/** A heartbeat not back after this long means the connection is stuck (a partition, a stalled server). */
const STUCK_AFTER_MS = 2000;

/** How long to wait before connecting again after the listening connection failed. */
const RECONNECT_DELAY_MS = 1000;

type ChangeHandler = (key: string) => void;

/**
 * Tells this instance's in-memory caches which rows other instances (or anyone) changed, and
 * whether what they hold can still be trusted.
 *
 * Triggers on the cached tables `pg_notify` every update and delete. One connection of its own
 * LISTENs, and every maxLag/4 notifies itself a heartbeat on the same channel. PostgreSQL delivers
 * notifications in commit order, so when a heartbeat comes back, every change committed before it
 * was sent has been handled. The caches answer only while the last heartbeat seen back was sent
 * within maxLag (`isCoherent`); so a write that then waits maxLag before answering (`settle`) is
 * seen by every instance before anyone can act on the answer. A lost or stuck connection just
 * turns the caches off until heartbeats come back; nothing waits on it.
 */
@Injectable()
export class CacheCoherence implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CacheCoherence.name);
  private readonly instance = randomUUID();
  private readonly maxLagMs: number;
  private client: pg.Client | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private sequence = 0;
  /** The heartbeat on its way, and when it was sent (performance.now()). */
  private inFlight: { sequence: number; sentAt: number } | undefined;
  /** When the newest heartbeat seen back was sent. */
  private confirmedSentAt = Number.NEGATIVE_INFINITY;
  /** Bumped by every change and every reset: a read that spans a bump must not fill a cache. */
  private generation = 0;
  private readonly handlers = new Map<string, ChangeHandler[]>();
  private readonly resetHandlers: (() => void)[] = [];
  /** CACHE_MAX_LAG_MS of the other instances, by instance, as their heartbeats say. */
  private readonly peerLags = new Map<string, { maxLagMs: number; heardAt: number }>();
  /** Connections already given up on, so one failure reported twice reconnects once. */
  private readonly closed = new WeakSet<pg.Client>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.maxLagMs = config.database.type === 'postgres' ? config.cacheMaxLagMs : 0;
    if (metrics && this.enabled) {
      const coherentNow = () => (this.isCoherent() ? 1 : 0);
      new Gauge({
        name: 'tokenkeep_cache_coherent',
        help: 'Whether this instance may answer from memory now (1): its last heartbeat came back within CACHE_MAX_LAG_MS',
        registers: [metrics.registry],
        collect() {
          this.set(coherentNow());
        },
      });
    }
  }

  /** Counts lookups of the named cache in tokenkeep_cache_lookups_total (when caching is on). */
  lookupCounter(cache: string): (hit: boolean) => void {
    const metric = this.metrics?.cacheLookups;
    if (!this.enabled || !metric) return () => undefined;
    const hits = metric.labels(cache, 'hit');
    const misses = metric.labels(cache, 'miss');
    return (hit) => (hit ? hits : misses).inc();
  }

  /** Caching needs PostgreSQL (several instances may share it) and CACHE_MAX_LAG_MS above 0. */
  get enabled(): boolean {
    return this.maxLagMs > 0;
  }

  /** True while every change committed more than maxLag ago has reached this instance. */
  isCoherent(now = performance.now()): boolean {
    return now - this.confirmedSentAt <= this.maxLagMs;
  }

  /** A ticket for a read about to fill a cache, or null when it must not. */
  fillTicket(): number | null {
    return this.enabled && this.isCoherent() ? this.generation : null;
  }

  /** Whether a read that took `ticket` before it started may now keep what it read. */
  mayFill(ticket: number | null): boolean {
    return ticket !== null && ticket === this.generation && this.isCoherent();
  }

  /** Calls `handler` with the key of every changed row of `table`; `onReset` when all may be stale. */
  onChange(table: string, handler: ChangeHandler, onReset: () => void): void {
    this.handlers.set(table, [...(this.handlers.get(table) ?? []), handler]);
    this.resetHandlers.push(onReset);
  }

  /** A local write: in-flight reads must not fill with what they read before it. */
  noteLocalChange(): void {
    this.generation++;
  }

  /**
   * Call after committing a write that must take effect everywhere before the caller hears of
   * it (sign-out, revocation): resolves once no instance can still serve what it replaced.
   */
  async settle(): Promise<void> {
    const waitMs = this.settleMs();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  }

  /**
   * How long settle() waits: the largest CACHE_MAX_LAG_MS among this instance and those heard
   * from in the last 10 s (should they differ), and a little more for timers.
   */
  settleMs(now = performance.now()): number {
    let longest = this.maxLagMs;
    for (const [instance, peer] of this.peerLags) {
      if (now - peer.heardAt > PEER_LAG_KEPT_MS) this.peerLags.delete(instance);
      else longest = Math.max(longest, peer.maxLagMs);
    }
    return longest > 0 ? longest + 10 : 0;
  }

  /**
   * On PostgreSQL every instance listens, also with its own cache off: it must hear how long
   * the others cache, to wait that long after its own sign-outs.
   */
  onApplicationBootstrap(): void {
    if (this.config.database.type !== 'postgres') return;
    void this.connect(this.config.database.url);
    if (!this.enabled) return;
    this.heartbeatTimer = setInterval(() => this.beat(), Math.max(1, this.maxLagMs / 4));
    this.heartbeatTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.reset();
    await client?.end().catch(() => undefined);
  }

  private async connect(url: string): Promise<void> {
    const client = new pg.Client({
      connectionString: url,
      application_name: 'tokenkeep-cache',
      connectionTimeoutMillis: 5000,
      // LISTEN and heartbeats too: a partition must end in a reconnect, not a hang.
      query_timeout: 5000,
      keepAlive: true,
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => this.receive(message.payload ?? ''));
    try {
      await client.connect();
      await client.query(`LISTEN ${CACHE_CHANNEL}`);
      if (this.stopped) return void (await client.end());
      this.client = client;
      if (!this.enabled) return;
      this.logger.log('Listening for changed rows: sessions and tokens are cached');
      this.beat();
    } catch (error) {
      this.lost(client, error as Error);
    }
  }

  /** Sends a heartbeat, one at a time: the next goes once the last is back. */
  private beat(): void {
    const client = this.client;
    if (!client) return;
    const now = performance.now();
    if (this.inFlight) {
      if (now - this.inFlight.sentAt > Math.max(STUCK_AFTER_MS, this.maxLagMs * 4))
        this.lost(client, new Error('heartbeats are not coming back'));
      return;
    }
    this.inFlight = { sequence: ++this.sequence, sentAt: now };
    client
      .query('SELECT pg_notify($1, $2)', [
        CACHE_CHANNEL,
        `${HEARTBEAT}${this.instance}:${this.sequence}:${this.maxLagMs}`,
      ])
      .catch((error: Error) => this.lost(client, error));
  }

  private receive(payload: string): void {
    if (payload.startsWith(HEARTBEAT)) return this.confirm(payload);
    const colon = payload.indexOf(':');
    const handlers = this.handlers.get(payload.slice(0, colon));
    if (colon < 0 || !handlers) return;
    this.generation++;
    const key = payload.slice(colon + 1);
    for (const handler of handlers) handler(key);
  }

  /** Another instance's heartbeat tells its lag; ours, back, confirms what we have seen. */
  private confirm(payload: string): void {
    const [instance, sequence, maxLagMs] = payload.slice(HEARTBEAT.length).split(':');
    if (instance !== this.instance) {
      const lag = Number(maxLagMs);
      if (Number.isFinite(lag))
        this.peerLags.set(instance, {
          maxLagMs: Math.min(lag, MAX_PEER_LAG_MS),
          heardAt: performance.now(),
        });
      return;
    }
    const inFlight = this.inFlight;
    if (!inFlight || Number(sequence) !== inFlight.sequence) return;
    this.confirmedSentAt = inFlight.sentAt;
    this.inFlight = undefined;
  }

  /** The listening connection failed: trust nothing cached, and connect again. */
  private lost(client: pg.Client, error?: Error): void {
    if (this.closed.has(client)) return;
    this.closed.add(client);
    client.on('error', () => undefined);
    // end() waits for the server, which a partition never lets answer: drop the socket as well.
    void client.end().catch(() => undefined);
    (
      client as unknown as { connection?: { stream?: { destroy(): void } } }
    ).connection?.stream?.destroy();
    const wasListening = this.client === client;
    if (this.client !== undefined && !wasListening) return;
    this.reset();
    if (this.stopped) return;
    if (wasListening)
      this.logger.warn(
        `Not listening for changed rows until the database answers again (nothing served from memory meanwhile): ${error?.message ?? 'connection ended'}`,
      );
    this.reconnectTimer = setTimeout(() => {
      if (this.config.database.type === 'postgres') void this.connect(this.config.database.url);
    }, RECONNECT_DELAY_MS);
    this.reconnectTimer.unref();
  }

  private reset(): void {
    this.client = undefined;
    this.inFlight = undefined;
    this.confirmedSentAt = Number.NEGATIVE_INFINITY;
    this.generation++;
    for (const handler of this.resetHandlers) handler();
  }
}
