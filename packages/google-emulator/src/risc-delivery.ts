import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** How long a receiver may take to answer one push. */
export const DELIVERY_TIMEOUT_MS = 10_000;
const KEPT_RESPONSE_CHARS = 1000;

export type DeliveryResult = { status: number; body: string } | { error: string };

/**
 * RFC 8935 push: the SET as the body, `application/secevent+jwt`. A fresh connection each
 * time (no keep-alive agent), so nothing stays open after the emulator closes.
 */
export function postSecurityEventToken(url: string, set: string): Promise<DeliveryResult> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const outgoing = send(
      target,
      {
        method: 'POST',
        agent: false,
        timeout: DELIVERY_TIMEOUT_MS,
        headers: {
          'content-type': 'application/secevent+jwt',
          accept: 'application/json',
          'content-length': Buffer.byteLength(set),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8').slice(0, KEPT_RESPONSE_CHARS);
          resolve({ status: response.statusCode ?? 0, body });
        });
        response.on('error', (error) => resolve({ error: error.message }));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('the receiver did not answer')));
    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.message || error.code || String(error) }),
    );
    outgoing.end(set);
  });
}
