import { request } from 'undici';
import { GoogleKeySet } from '../auth/google/google-key-set.js';

/** How long the RISC configuration document is trusted before it is fetched again. */
const CONFIGURATION_MAX_AGE_MS = 3_600_000;
/** After a failed fetch, no new attempt for this long: a flood of forged tokens cannot hammer Google. */
const FAILURE_COOLDOWN_MS = 30_000;

/** Google (or the emulator) could not tell us its issuer or keys: the token could not be checked. */
export class TransmitterUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransmitterUnavailableError';
  }
}

export interface TransmitterKeys {
  issuer: string;
  keySet: GoogleKeySet;
}

/**
 * The sender of security events as its RISC configuration document describes it: the issuer of
 * every SET and the JWKS that signs them (keys cached and refetched on an unknown kid by GoogleKeySet).
 */
export class RiscTransmitter {
  private current: { keys: TransmitterKeys; fetchedAt: number } | null = null;
  private failedAt = 0;
  private pending: Promise<TransmitterKeys> | null = null;

  constructor(
    private readonly configurationUrl: string,
    private readonly timeoutMs: number,
  ) {}

  async keys(now = Date.now()): Promise<TransmitterKeys> {
    if (this.current && now - this.current.fetchedAt < CONFIGURATION_MAX_AGE_MS)
      return this.current.keys;
    if (now - this.failedAt < FAILURE_COOLDOWN_MS) {
      if (this.current) return this.current.keys;
      throw new TransmitterUnavailableError('the RISC configuration was unavailable moments ago');
    }
    this.pending ??= this.fetch().finally(() => (this.pending = null));
    return this.pending;
  }

  private async fetch(): Promise<TransmitterKeys> {
    try {
      const document = await this.fetchDocument();
      const keys = {
        issuer: document.issuer,
        keySet:
          this.current?.keys.issuer === document.issuer
            ? this.current.keys.keySet
            : new GoogleKeySet(document.jwks_uri, this.timeoutMs),
      };
      this.current = { keys, fetchedAt: Date.now() };
      return keys;
    } catch (error) {
      this.failedAt = Date.now();
      // A stale configuration beats none: Google changes it rarely.
      if (this.current) return this.current.keys;
      throw new TransmitterUnavailableError(
        `RISC configuration at ${this.configurationUrl} unavailable: ${(error as Error).message}`,
      );
    }
  }

  private async fetchDocument(): Promise<{ issuer: string; jwks_uri: string }> {
    const response = await request(this.configurationUrl, {
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const body = (await response.body.json()) as Record<string, unknown>;
    if (response.statusCode !== 200) throw new Error(`it answered ${response.statusCode}`);
    const { issuer, jwks_uri } = body;
    if (typeof issuer !== 'string' || typeof jwks_uri !== 'string' || !URL.canParse(jwks_uri))
      throw new Error('it names no issuer or jwks_uri');
    return { issuer, jwks_uri };
  }
}
