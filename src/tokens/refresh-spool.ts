import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises';
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
const INITIAL_SLOTS = 4;
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
 *
 * Several processes may share a DATA_DIR: each writes only in a folder of its own
 * (`<pid>-<random>`), and at start-up adopts the folders of processes that are gone.
 */
export class RefreshSpool {
  /** This process's own folder. */
  readonly directory: string;
  private slots: Slot[] = [];
  private nextIndex = 0;
  private opened: Promise<void> | undefined;

  constructor(readonly root: string) {
    this.directory = join(root, `${process.pid}-${randomBytes(4).toString('hex')}`);
  }

  /** Makes this process's folder and slots (once); later calls wait for the first. */
  open(): Promise<void> {
    this.opened ??= this.openSlots();
    return this.opened;
  }

  /** Closes the slots; the folder goes too unless it still holds a record for the next start. */
  async close(): Promise<void> {
    const holding = this.slots.some((slot) => slot.busy);
    await Promise.allSettled(this.slots.map((slot) => slot.file.close()));
    if (this.opened !== undefined && !holding)
      await rm(this.directory, { recursive: true, force: true });
    this.slots = [];
    this.opened = undefined;
  }

  /**
   * Takes over what processes that are gone left in their folders: each record is copied, durably,
   * into a slot of this process (released once the database has it), then their folder is removed.
   * Records torn by a crash (never durable) are named in `unreadable` and dropped.
   */
  async adoptOrphans(): Promise<{
    entries: (SpooledRefresh & { slot: string })[];
    unreadable: string[];
  }> {
    await this.open();
    const entries: (SpooledRefresh & { slot: string })[] = [];
    const unreadable: string[] = [];
    for (const name of await readdir(this.root)) {
      const folder = join(this.root, name);
      if (folder === this.directory || !ORPHAN_CANDIDATE.test(name) || ownerAlive(name)) continue;
      for (const slotName of (await readdir(folder)).filter((file) => SLOT_NAME.test(file))) {
        const record = await readRecord(join(folder, slotName));
        if (record === 'empty') continue;
        if (record === 'damaged') {
          unreadable.push(join(folder, slotName));
          continue;
        }
        const entry = fromRecord(record);
        entries.push({ ...entry, slot: await this.write(entry) });
      }
      await rm(folder, { recursive: true, force: true });
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
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await mkdir(this.directory, { mode: 0o700 });
    while (this.slots.length < INITIAL_SLOTS) await this.createSlot(false);
    await syncFolder(this.directory);
    await syncFolder(this.root);
  }

  /** More refreshes are unsaved than there are slots: this one pays for a new file. */
  private async addSlot(): Promise<Slot> {
    const slot = await this.createSlot(true);
    await syncFolder(this.directory);
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
}

const ORPHAN_CANDIDATE = /^\d+-[0-9a-f]+$/;

/**
 * Whether the process that named a folder `<pid>-<random>` still runs. A folder with our own pid
 * is from an earlier life of this pid (a restarted container often gets the same one).
 */
function ownerAlive(folderName: string): boolean {
  const pid = Number(folderName.split('-')[0]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readRecord(path: string): Promise<SpoolRecord | 'empty' | 'damaged'> {
  const bytes = Buffer.alloc(SLOT_BYTES);
  const file = await open(path, 'r');
  try {
    await file.read(bytes, 0, SLOT_BYTES, 0);
  } finally {
    await file.close();
  }
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) return 'empty';
  return decode(bytes) ?? 'damaged';
}

async function syncFolder(path: string): Promise<void> {
  const folder = await open(path, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
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
      failureReason: null,
      // Not written back: saveRefresh writes only refreshColumns.
      refreshTokenIssuedAt: null,
      refreshTokensMinted: 0,
      requestedScopes: null,
      createdAt: refreshedAt,
      updatedAt: refreshedAt,
    },
  };
}
