import { readFile } from 'node:fs/promises';
import { importPKCS8, SignJWT } from 'jose';
import { request } from 'undici';
import { RISC_EVENT_URIS } from './security-events.js';

/** The audience Google's RISC docs tell a service account to sign its API token for. */
export const RISC_API_AUDIENCE =
  'https://risc.googleapis.com/google.identity.risc.v1beta.RiscManagementService';
export const PUSH_DELIVERY_METHOD = 'https://schemas.openid.net/secevent/risc/delivery-method/push';

/** What the receiver asks Google for: every event it acts on that Google supports (not account-purged). */
export const EVENTS_TO_REQUEST = [
  RISC_EVENT_URIS['sessions-revoked'],
  RISC_EVENT_URIS['tokens-revoked'],
  RISC_EVENT_URIS['token-revoked'],
  RISC_EVENT_URIS['account-disabled'],
  RISC_EVENT_URIS['account-credential-change-required'],
  RISC_EVENT_URIS.verification,
];

export interface ServiceAccountKey {
  clientEmail: string;
  privateKeyPem: string;
  privateKeyId: string | undefined;
}

/** Reads the JSON key file Google's console gives for a service account. */
export async function readServiceAccountKey(path: string): Promise<ServiceAccountKey> {
  const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  const { client_email, private_key, private_key_id } = json;
  if (typeof client_email !== 'string' || typeof private_key !== 'string')
    throw new Error(`${path} is not a service-account key file (client_email, private_key)`);
  return {
    clientEmail: client_email,
    privateKeyPem: private_key,
    privateKeyId: typeof private_key_id === 'string' ? private_key_id : undefined,
  };
}

/**
 * The bearer token of the RISC API as Google's docs build it: a JWT the service account signs
 * itself (iss = sub = its email, aud = the RISC management service), valid for an hour.
 */
export async function riscApiToken(key: ServiceAccountKey, nowSeconds: number): Promise<string> {
  const privateKey = await importPKCS8(key.privateKeyPem, 'RS256');
  return new SignJWT({})
    .setProtectedHeader({
      alg: 'RS256',
      typ: 'JWT',
      ...(key.privateKeyId ? { kid: key.privateKeyId } : {}),
    })
    .setIssuer(key.clientEmail)
    .setSubject(key.clientEmail)
    .setAudience(RISC_API_AUDIENCE)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + 3600)
    .sign(privateKey);
}

export interface StreamUpdate {
  /** https://risc.googleapis.com/v1beta, or an emulator's mirror of it. */
  apiUrl: string;
  receiverUrl: string;
  bearerToken: string;
  timeoutMs: number;
}

/** stream:update: points the project's event stream at our receiver. Throws with Google's message. */
export async function updateStream(update: StreamUpdate): Promise<void> {
  const response = await request(`${update.apiUrl}/stream:update`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${update.bearerToken}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      delivery: { delivery_method: PUSH_DELIVERY_METHOD, url: update.receiverUrl },
      events_requested: EVENTS_TO_REQUEST,
    }),
    headersTimeout: update.timeoutMs,
    bodyTimeout: update.timeoutMs,
  });
  const text = await response.body.text();
  if (response.statusCode === 200) return;
  throw new Error(`stream:update answered ${response.statusCode}: ${googleMessage(text)}`);
}

function googleMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return body.error.message.slice(0, 300);
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 300);
}
