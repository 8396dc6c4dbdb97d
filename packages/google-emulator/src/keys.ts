// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createLocalJWKSet, exportJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { newKeyId } from './token-strings.js';

type CryptoKey = webcrypto.CryptoKey;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** Self-signed X.509 certificate of the public key, as served by /oauth2/v1/certs. */
  certificatePem: string;
}

export interface VerifiedIdToken {
  header: { alg: string; kid?: string; typ?: string };
  payload: JWTPayload;
}

const RS256_KEY = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};
const DAY_MS = 86_400_000;
/** Google normally publishes two keys. */
const PUBLISHED_KEYS = 2;

async function createSigningKey(): Promise<SigningKey> {
  const keys = await webcrypto.subtle.generateKey(RS256_KEY, true, ['sign', 'verify']);
  const kid = newKeyId();
  const { n, e } = await exportJWK(keys.publicKey);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    // A leading 01 keeps the DER serial number positive.
    serialNumber: `01${kid.slice(0, 30)}`,
    name: 'CN=google-emulator.invalid',
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 365 * DAY_MS),
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    keys,
  });
  return {
    kid,
    privateKey: keys.privateKey,
    publicJwk: { kty: 'RSA', alg: 'RS256', use: 'sig', kid, n, e },
    certificatePem: `${certificate.toString('pem')}\n`,
  };
}

/** The emulator's RS256 keys: the newest signs, all are published. */
export class KeyRing {
  private constructor(private keys: SigningKey[]) {}

  static async generate(): Promise<KeyRing> {
    const keys = await Promise.all(Array.from({ length: PUBLISHED_KEYS }, createSigningKey));
    return new KeyRing(keys);
  }

  get signingKey(): SigningKey {
    return this.keys[0];
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((key) => key.publicJwk) };
  }

  pemCertificates(): Record<string, string> {
    return Object.fromEntries(this.keys.map((key) => [key.kid, key.certificatePem]));
  }

  /** Adds a new signing key and drops the oldest, like Google's rotation; returns the new kid. */
  async rotate(): Promise<string> {
    const fresh = await createSigningKey();
    this.keys = [fresh, ...this.keys].slice(0, PUBLISHED_KEYS);
    return fresh.kid;
  }

  /** Verifies an ID token this emulator issued; undefined when it is not valid now. */
  async verify(idToken: string, issuer: string, now: Date): Promise<VerifiedIdToken | undefined> {
    try {
      const { payload, protectedHeader } = await jwtVerify(
        idToken,
        createLocalJWKSet(this.jwks()),
        {
          issuer,
          algorithms: ['RS256'],
          currentDate: now,
        },
      );
      return { header: protectedHeader, payload };
    } catch {
      return undefined;
    }
  }
}
