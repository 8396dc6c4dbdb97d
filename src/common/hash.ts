import { createHash } from 'node:crypto';

/** SHA-256 in hex: how session ids, sign-in states and nonces are stored, so a dump cannot be replayed. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
