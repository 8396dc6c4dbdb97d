import { createHash } from 'node:crypto';
import { mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StoredTokenState, type OAuthTokenEntity } from './oauth-token.entity.js';

/** A refreshed row not yet known to be in the database, and the version it was computed from. */
export interface SpooledRefresh {
  baseVersion: number;
  refreshed: OAuthTokenEntity;
}

/** The spooled columns: both tokens stay the TokenCipher envelopes bound to their token row. */
type SpoolRecord = Pick<
  OAuthTokenEntity,
  | 'id'
  | 'userId'
  | 'provider'
  | 'accessTokenCiphertext'
  | 'refreshTokenCiphertext'
  | 'keyId'
  | 'scopes'
  | 'tokenType'
  | 'lifetimeSeconds'
  | 'refreshCount'
> & {
  baseVersion: number;
  expiresAt: string | null;
  lastRefreshedAt: string | null;
};

interface Slot {
  name: string;
  file: FileHandle;
  busy: boolean;
}

const MAGIC = Buffer.from('TKSPOOL1');
const HEADER_BYTES = MAGIC.length + 4 + 32;
/** Two token envelopes (Google's tokens are at most 2 KiB) and a few fields fit many times over. */
const SLOT_BYTES = 16 * 1024;
const INITIAL_SLOTS = 16;
const SLOT_NAME = /^slot-\d+\.spool$/;

/**
 * A refreshed token whose refresh token Google has just replaced is the only copy of a live grant
 * until the database has it. The spool keeps it on local disk under DATA_DIR first, so a crash or
 * a database outage between Google's answer and the write loses nothing: start-up replays it.
 *
 * To make that first durable write as short as possible, the spool is a set of slot files made at
 * start-up at their full size, their folder entries already synced: a record is one positioned
 * write and one fdatasync, with no file created, resized or renamed. A record carries a checksum,
 * so one torn by a crash is recognised (and was never durable). The tokens are stored as in the
 * row: AES-256-GCM envelopes of the current key, bound to the token row as associated data.
 */
export class RefreshSpool {
  private slots: Slot[] = [];
  private nextIndex = 0;
  private opened: Promise<void> | undefined;

  constructor(readonly directory: string) {}

  /** Makes the slots (once); later calls wait for the first. */
  open(): Promise<void> {
    this.opened ??= this.openSlots();
    return this.opened;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.slots.map((slot) => slot.file.close()));
    this.slots = [];
    this.opened = undefined;
  }

  /** Every record the slots hold, each keeping its slot until `release`; damaged ones are named. */
  async readAll(): Promise<{
    entries: (SpooledRefresh & { slot: string })[];
    unreadable: string[];
  }> {
    await this.open();
    const entries: (SpooledRefresh & { slot: string })[] = [];
    const unreadable: string[] = [];
    for (const slot of this.slots) {
      const bytes = Buffer.alloc(SLOT_BYTES);
      await slot.file.read(bytes, 0, SLOT_BYTES, 0);
      if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) continue;
      const record = decode(bytes);
      if (record === undefined) {
        unreadable.push(join(this.directory, slot.name));
        continue;
      }
      slot.busy = true;
      entries.push({ ...fromRecord(record), slot: slot.name });
    }
    return { entries, unreadable };
  }

  /** Durably records a refreshed row; resolves once it is on disk, with the slot that holds it. */
  async write(entry: SpooledRefresh): Promise<string> {
    await this.open();
    const record = encode(toRecord(entry));
    const slot = this.slots.find((candidate) => !candidate.busy) ?? (await this.addSlot());
    slot.busy = true;
    try {
      await slot.file.write(record, 0, record.length, 0);
      await slot.file.datasync();
    } catch (error) {
      slot.busy = false;
      throw error;
    }
    return slot.name;
  }

  /**
   * Frees a slot once its row reached the database (or was superseded). Not synced: a record
   * that survives a crash only replays over the version it was computed from, which is gone.
   */
  async release(slotName: string): Promise<void> {
    const slot = this.slots.find((candidate) => candidate.name === slotName);
    if (!slot) return;
    await slot.file.write(Buffer.alloc(MAGIC.length), 0, MAGIC.length, 0);
    slot.busy = false;
  }

  private async openSlots(): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const existing = (await readdir(this.directory)).filter((name) => SLOT_NAME.test(name));
    for (const name of existing) {
      this.slots.push({ name, file: await open(join(this.directory, name), 'r+'), busy: false });
      this.nextIndex = Math.max(this.nextIndex, Number(/\d+/.exec(name)?.[0]) + 1);
    }
    while (this.slots.length < INITIAL_SLOTS) await this.createSlot(false);
    await this.syncFolder();
  }

  /** More refreshes are unsaved than there are slots: this one pays for a new file. */
  private async addSlot(): Promise<Slot> {
    const slot = await this.createSlot(true);
    await this.syncFolder();
    return slot;
  }

  private async createSlot(busy: boolean): Promise<Slot> {
    const name = `slot-${this.nextIndex++}.spool`;
    const file = await open(join(this.directory, name), 'w+', 0o600);
    await file.write(Buffer.alloc(SLOT_BYTES), 0, SLOT_BYTES, 0);
    await file.sync();
    const slot = { name, file, busy };
    this.slots.push(slot);
    return slot;
  }

  private async syncFolder(): Promise<void> {
    const folder = await open(this.directory, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }
}

/** magic | payload length (u32 BE) | sha256(payload) | payload (JSON) */
function encode(record: SpoolRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  if (HEADER_BYTES + payload.length > SLOT_BYTES)
    throw new Error('a refreshed token is too large to spool');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(payload.length);
  return Buffer.concat([MAGIC, length, sha256(payload), payload]);
}

function decode(bytes: Buffer): SpoolRecord | undefined {
  const length = bytes.readUInt32BE(MAGIC.length);
  if (HEADER_BYTES + length > bytes.length) return undefined;
  const payload = bytes.subarray(HEADER_BYTES, HEADER_BYTES + length);
  if (!sha256(payload).equals(bytes.subarray(MAGIC.length + 4, HEADER_BYTES))) return undefined;
  try {
    const record = JSON.parse(payload.toString('utf8')) as SpoolRecord;
    return typeof record.id === 'string' && Number.isInteger(record.baseVersion)
      ? record
      : undefined;
  } catch {
    return undefined;
  }
}

function sha256(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

function toRecord({ baseVersion, refreshed }: SpooledRefresh): SpoolRecord {
  return {
    baseVersion,
    id: refreshed.id,
    userId: refreshed.userId,
    provider: refreshed.provider,
    accessTokenCiphertext: refreshed.accessTokenCiphertext,
    refreshTokenCiphertext: refreshed.refreshTokenCiphertext,
    keyId: refreshed.keyId,
    scopes: refreshed.scopes,
    tokenType: refreshed.tokenType,
    lifetimeSeconds: refreshed.lifetimeSeconds,
    refreshCount: refreshed.refreshCount,
    expiresAt: refreshed.expiresAt?.toISOString() ?? null,
    lastRefreshedAt: refreshed.lastRefreshedAt?.toISOString() ?? null,
  };
}

function fromRecord(record: SpoolRecord): SpooledRefresh {
  const date = (value: string | null) => (value === null ? null : new Date(value));
  const refreshedAt = date(record.lastRefreshedAt) ?? new Date();
  return {
    baseVersion: record.baseVersion,
    refreshed: {
      id: record.id,
      userId: record.userId,
      provider: record.provider,
      accessTokenCiphertext: record.accessTokenCiphertext,
      refreshTokenCiphertext: record.refreshTokenCiphertext,
      keyId: record.keyId,
      scopes: record.scopes,
      tokenType: record.tokenType,
      lifetimeSeconds: record.lifetimeSeconds,
      refreshCount: record.refreshCount,
      expiresAt: date(record.expiresAt),
      lastRefreshedAt: refreshedAt,
      state: StoredTokenState.Active,
      version: record.baseVersion + 1,
      refreshLeaseOwner: null,
      refreshLeaseExpiresAt: null,
      refreshCooldownUntil: null,
      lastErrorCode: null,
      createdAt: refreshedAt,
      updatedAt: refreshedAt,
    },
  };
}
