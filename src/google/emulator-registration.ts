import { setTimeout as delay } from 'node:timers/promises';
import { request } from 'undici';
import type { AppConfig } from '../config/app-config.js';

/** How long an app waits for a standalone emulator that is not up yet (started together, say). */
const WAIT_FOR_EMULATOR_MS = 30_000;
const FIRST_RETRY_MS = 100;
const LONGEST_RETRY_MS = 2_000;

/** Connection failures that mean "not up yet": worth another try. */
const NOT_UP_YET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The emulator did not answer in time: the start stops with this one-line message. */
export class EmulatorUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmulatorUnreachableError';
  }
}

export interface RegistrationPatience {
  /** Give up after this long; default 30 s. */
  waitMs?: number;
  /** Told once when the first attempt fails and the app starts waiting. */
  onWait?: (line: string) => void;
}

/**
 * Tells a standalone emulator about this app's OAuth client and callback URL, as one would in
 * Google's console. Registering the same client again only adds the callback URL, so every
 * instance of a multi-instance setup can do it at start-up. An emulator that is not listening
 * yet is retried with backoff for up to 30 s.
 */
export async function registerWithEmulator(
  google: AppConfig['google'],
  { waitMs = WAIT_FOR_EMULATOR_MS, onWait }: RegistrationPatience = {},
): Promise<void> {
  const giveUpAt = Date.now() + waitMs;
  for (let retryMs = FIRST_RETRY_MS, attempt = 1; ; retryMs *= 2, attempt++) {
    const reason = await tryToRegister(google);
    if (reason === undefined) return;
    const waitLeft = giveUpAt - Date.now();
    if (waitLeft <= 0) {
      throw new EmulatorUnreachableError(
        `The Google emulator at ${google.emulatorUrl} did not answer within ${Math.round(waitMs / 1000)} s (${reason}): start it (npm run emulator) or fix GOOGLE_EMULATOR_URL`,
      );
    }
    if (attempt === 1) {
      onWait?.(
        `Waiting for the Google emulator at ${google.emulatorUrl} (${reason}); retrying for up to ${Math.round(waitMs / 1000)} s`,
      );
    }
    await delay(Math.min(retryMs, LONGEST_RETRY_MS, waitLeft));
  }
}

/** Undefined once registered; a short reason when the emulator is not up yet; throws when it refused us. */
async function tryToRegister(google: AppConfig['google']): Promise<string | undefined> {
  let response;
  try {
    response = await request(`${google.emulatorUrl}/__emulator/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: google.clientId,
        client_secret: google.clientSecret,
        redirect_uris: [google.callbackUrl],
        publishing_status: google.publishingStatus,
      }),
      headersTimeout: 5000,
      bodyTimeout: 5000,
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_UP_YET.has(code)) return code;
    throw error;
  }
  const text = await response.body.text();
  if (response.statusCode === 502 || response.statusCode === 503) {
    return `HTTP ${response.statusCode}`;
  }
  if (response.statusCode >= 300) {
    throw new Error(
      `The Google emulator at ${google.emulatorUrl} refused our client (HTTP ${response.statusCode}): ${text.slice(0, 200)}`,
    );
  }
  return undefined;
}
