import { performance } from 'node:perf_hooks';
import { ALL_ROWS, type CacheCoherence } from './cache-coherence.js';

interface Entry<V> {
  value: V;
  filledAt: number;
  groups: readonly string[];
}

/** What a changed row of a table evicts: the entry of that key, the entries of that group, or both. */
export type ChangeReach = 'key' | 'group' | 'key-and-group';

export interface ReadCacheOptions {
  /** Its label in tokenkeep_cache_lookups_total. */
  name: string;
  /** Most entries held; the oldest goes first. */
  maxEntries: number;
  /** An entry is read again after this long, whatever the notices say. */
  maxAgeMs: number;
  /** Tables whose changed rows evict entries, and which. */
  changes: Record<string, ChangeReach>;
}

/**
 * Rows read on every request, kept in memory only while `coherence` vouches for them: an entry
 * goes when its row changes anywhere (a notice), when this instance changes it (`evict`), and
 * all go when the notices stop. Only what `read` finds and the caller calls cacheable is kept.
 */
export class ReadCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  /** Keys by group (e.g. a user's sessions), so a change of the group's row evicts them all. */
  private readonly groups = new Map<string, Set<string>>();
  private readonly count: (hit: boolean) => void;

  constructor(
    private readonly coherence: CacheCoherence,
    private readonly options: ReadCacheOptions,
  ) {
    this.count = coherence.lookupCounter(options.name);
    for (const [table, reach] of Object.entries(options.changes))
      coherence.onChange(
        table,
        (key) => this.forget(key, reach),
        () => this.clear(),
      );
  }

  /**
   * The cached value of `key`, else what `read` finds (kept when `keep` says so). A cached value
   * `keep` no longer accepts (a session past its idle time by the copy's clock) is read again.
   */
  async get(
    key: string,
    read: () => Promise<V | null>,
    keep: (value: V) => { groups?: readonly string[] } | false,
  ): Promise<V | null> {
    const now = performance.now();
    const entry = this.entries.get(key);
    if (
      entry &&
      now - entry.filledAt <= this.options.maxAgeMs &&
      this.coherence.isCoherent(now) &&
      keep(entry.value)
    ) {
      this.count(true);
      return entry.value;
    }
    this.count(false);
    const ticket = this.coherence.fillTicket();
    const value = await read();
    const kept = value !== null && keep(value);
    if (kept && this.coherence.mayFill(ticket)) this.put(key, value, kept.groups ?? [], now);
    else if (entry) this.remove(key);
    return value;
  }

  /** Forgets `key` after a local write, and stops reads under way from keeping older rows. */
  evict(key: string): void {
    this.coherence.noteLocalChange();
    this.remove(key);
  }

  /** Forgets every key of `group` after a local write. */
  evictGroup(group: string): void {
    this.coherence.noteLocalChange();
    this.removeGroup(group);
  }

  clear(): void {
    this.entries.clear();
    this.groups.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** A notice: `key` changed (ALL_ROWS: the table was truncated). */
  private forget(key: string, reach: ChangeReach): void {
    if (key === ALL_ROWS) return this.clear();
    if (reach !== 'group') this.remove(key);
    if (reach !== 'key') this.removeGroup(key);
  }

  private put(key: string, value: V, groups: readonly string[], now: number): void {
    this.remove(key);
    if (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.remove(oldest);
    }
    this.entries.set(key, { value, filledAt: now, groups });
    for (const group of groups) {
      const keys = this.groups.get(group) ?? new Set<string>();
      this.groups.set(group, keys.add(key));
    }
  }

  private removeGroup(group: string): void {
    for (const key of this.groups.get(group) ?? []) this.remove(key);
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    for (const group of entry.groups) {
      const keys = this.groups.get(group);
      keys?.delete(key);
      if (keys?.size === 0) this.groups.delete(group);
    }
  }
}
