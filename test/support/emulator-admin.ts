import {
  startStandaloneEmulator,
  type EmulatorStatsSnapshot,
  type StandaloneEmulator,
} from '@tokenkeep/google-emulator';

/** The emulator's admin API, over real HTTP; its counters are the emulator's own type. */
export type EmulatorStats = EmulatorStatsSnapshot;

export function emulatorStats(emulatorUrl: string): Promise<EmulatorStats> {
  return emulatorAdmin<EmulatorStats>(emulatorUrl, 'GET', '/stats');
}

export async function tokenInfo(
  emulatorUrl: string,
  accessToken: string,
): Promise<{ status: number; body: Record<string, string> }> {
  const response = await fetch(
    `${emulatorUrl}/tokeninfo?access_token=${encodeURIComponent(accessToken)}`,
  );
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

export async function revokeUserAtEmulator(emulatorUrl: string, sub: string): Promise<void> {
  await emulatorAdmin(emulatorUrl, 'POST', '/revoke', { sub });
}

/** Moves only the emulator's clock: tokens the app still thinks valid are refused by "Google". */
export async function advanceEmulatorClock(emulatorUrl: string, seconds: number): Promise<void> {
  await emulatorAdmin(emulatorUrl, 'POST', '/clock', { advanceSeconds: seconds });
}

/** A standalone emulator on a free loopback port, for tests whose apps come and go or share it. */
export function startTestEmulator(
  accessTokenTtlSeconds: number,
  tokenMarker?: string,
): Promise<StandaloneEmulator> {
  return startStandaloneEmulator({
    host: '127.0.0.1',
    port: 0,
    publicUrl: 'http://127.0.0.1:0',
    accessTokenTtlSeconds,
    tokenMarker,
  });
}

/** Injects one of the emulator's faults (see docs/emulator.md); `clearFaults` removes them all. */
export async function injectFault(
  emulatorUrl: string,
  fault: Record<string, unknown>,
): Promise<void> {
  await emulatorAdmin(emulatorUrl, 'POST', '/faults', fault, 201);
}

export async function clearFaults(emulatorUrl: string): Promise<void> {
  await fetch(`${emulatorUrl}/__emulator/faults`, { method: 'DELETE' });
}

/** Calls the emulator's admin API (`path` below `/__emulator`); throws unless it answered 2xx. */
export async function emulatorAdmin<Answer = Record<string, unknown>>(
  emulatorUrl: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: Record<string, unknown>,
  expectedStatus?: number,
): Promise<Answer> {
  const response = await fetch(`${emulatorUrl}/__emulator${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const refused = expectedStatus === undefined ? !response.ok : response.status !== expectedStatus;
  if (refused) throw new Error(`emulator ${method} ${path} answered ${response.status}`);
  const text = await response.text();
  return (text ? JSON.parse(text) : {}) as Answer;
}

/** What a user granted a client at the emulator (never a token). */
export interface EmulatorGrant {
  client_id: string;
  sub: string;
  scopes: string[];
  live_refresh_tokens: number;
  refresh_tokens_minted: number;
}

export async function emulatorGrant(
  emulatorUrl: string,
  sub: string,
): Promise<EmulatorGrant | undefined> {
  const path = `/grants?sub=${encodeURIComponent(sub)}`;
  return (await emulatorAdmin<{ grants: EmulatorGrant[] }>(emulatorUrl, 'GET', path)).grants[0];
}

/** One push of a security event by the emulator's RISC transmitter, as its admin API reports it. */
export interface RiscDelivery {
  receiver_id: string;
  url: string;
  jti: string;
  aud: string | string[];
  set: string;
  status: number | null;
  response_body: string | null;
}

async function riscAdmin(
  emulatorUrl: string,
  path: string,
  body: Record<string, unknown> = {},
): Promise<RiscDelivery[]> {
  const answer = await emulatorAdmin<{ deliveries: RiscDelivery[] }>(
    emulatorUrl,
    'POST',
    path,
    body,
    201,
  );
  return answer.deliveries;
}

/** Has the emulator apply a security event and push it to every registered receiver; waits for their answers. */
export function pushRiscEvent(
  emulatorUrl: string,
  event: Record<string, unknown>,
): Promise<RiscDelivery[]> {
  return riscAdmin(emulatorUrl, '/risc/events', event);
}

/** Pushes the very same SET (same jti and signature) again, as Google's redelivery would. */
export function redeliverRiscEvent(emulatorUrl: string, jti: string): Promise<RiscDelivery[]> {
  return riscAdmin(emulatorUrl, `/risc/deliveries/${jti}/redeliver`);
}

export async function addRiscReceiver(
  emulatorUrl: string,
  receiver: { url: string; client_id: string },
): Promise<void> {
  await emulatorAdmin(emulatorUrl, 'POST', '/risc/receivers', receiver, 201);
}

/** Adds a Google account to the emulator's consent page; returns its sub. */
export async function addEmulatorUser(
  emulatorUrl: string,
  user: { email: string; name: string; sub?: string },
): Promise<string> {
  return (await emulatorAdmin<{ sub: string }>(emulatorUrl, 'POST', '/users', user, 201)).sub;
}

export async function registerEmulatorClient(
  emulatorUrl: string,
  client: { client_id: string; client_secret: string; redirect_uris: string[] },
): Promise<void> {
  await emulatorAdmin(emulatorUrl, 'POST', '/clients', client, 201);
}
