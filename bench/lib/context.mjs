// What every case gets: the settings, the bench database, the standalone emulator and how to start
// app instances on them (one keyring for the whole run).
import { emulatorAdmin } from './google.mjs';
import { newKeyring, startEmulator } from './processes.mjs';
import { tokenCodec } from './tokens.mjs';

/**
 * @typedef {object} BenchContext
 * @property {import('./settings.mjs').Settings} settings
 * @property {(line: string) => void} log
 * @property {import('./database.mjs').BenchDatabase} db
 * @property {import('./processes.mjs').ListeningProcess} emulator
 * @property {ReturnType<typeof emulatorAdmin>} admin
 * @property {string} keyring
 * @property {ReturnType<typeof tokenCodec>} codec
 * @property {string} redirectUri
 * @property {import('./processes.mjs').AppOptions} appOptions
 */

/** The address a balancer would serve the instances on; the benchmark plays the balancer. */
export const PUBLIC_URL = 'http://tokenkeep.bench';

/**
 * Starts the standalone emulator on `db`; the caller stops it (stopAll).
 * @param {{ settings: import('./settings.mjs').Settings, log: (line: string) => void,
 *   db: import('./database.mjs').BenchDatabase }} base
 * @returns {Promise<BenchContext>}
 */
export async function createContext({ settings, log, db }) {
  const emulator = await startEmulator();
  log(`Google emulator: ${emulator.url} (pid ${emulator.pid})`);
  const keyring = newKeyring();
  const codec = tokenCodec(keyring);
  return {
    settings,
    log,
    db,
    emulator,
    admin: emulatorAdmin(emulator.url),
    keyring,
    codec,
    redirectUri: `${PUBLIC_URL}/auth/google/callback`,
    appOptions: {
      databaseUrl: db.url,
      emulatorUrl: emulator.url,
      publicUrl: PUBLIC_URL,
      keyring,
    },
  };
}

/**
 * The access token the app holds for `sub`, decrypted from its row: the raw proxy and the direct
 * calls ask the emulator about the very same grant.
 * @param {BenchContext} ctx
 * @param {string} sub
 */
export async function storedAccessToken(ctx, sub) {
  const row = await storedTokenRow(ctx, sub);
  return ctx.codec.decrypt(row.id, 'access_token', row.access_token_ciphertext);
}

/**
 * The columns of an oauth_tokens row the cases read.
 * @typedef {{ id: string, access_token_ciphertext: string, refresh_token_ciphertext: string,
 *   refresh_count: number }} TokenRow
 */

/**
 * The oauth_tokens row of `sub`.
 * @param {BenchContext} ctx
 * @param {string} sub
 */
export async function storedTokenRow(ctx, sub) {
  const [row] = /** @type {TokenRow[]} */ (
    await ctx.db.query(
      `SELECT t.* FROM oauth_tokens t JOIN users u ON u.id = t.user_id WHERE u.google_sub = $1`,
      [sub],
    )
  );
  if (!row) throw new Error(`no stored token for ${sub}`);
  return row;
}
