/** Token encryption keys by id; `currentKeyId` encrypts, every key decrypts. */
export interface Keyring {
  currentKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;

/**
 * Parses `id:key,id:key` where each key is 32 bytes in base64, base64url or hex.
 * The first entry is the current key; the others stay readable so rotation is possible.
 */
export function parseKeyring(value: string): Keyring {
  const keys = new Map<string, Buffer>();
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('must list at least one key as id:base64-32-byte-key');
  for (const entry of entries) {
    const separator = entry.indexOf(':');
    const id = separator > 0 ? entry.slice(0, separator) : '';
    if (!KEY_ID.test(id)) {
      throw new Error(
        'must be a comma-separated list of id:key with ids of letters, digits, . _ -',
      );
    }
    if (keys.has(id)) throw new Error(`must not repeat the key id ${id}`);
    keys.set(id, decodeKey(entry.slice(separator + 1), id));
  }
  return { currentKeyId: entries[0].slice(0, entries[0].indexOf(':')), keys };
}

function decodeKey(text: string, id: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text)
    ? Buffer.from(text, 'hex')
    : Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw new Error(`key ${id} must decode to exactly 32 bytes (base64 or hex), got ${key.length}`);
  }
  return key;
}
