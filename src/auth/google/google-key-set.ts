import {
  createLocalJWKSet,
  errors,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
} from 'jose';
import { request } from 'undici';

const DEFAULT_MAX_AGE_MS = 5 * 60_000;
const LONGEST_MAX_AGE_MS = 24 * 3600_000;
/** An unknown kid triggers at most one fetch per this long, so forged kids cannot hammer Google. */
const REFETCH_COOLDOWN_MS = 10_000;

/**
 * Google's ID-token signing keys: cached for as long as the JWKS answer's `Cache-Control: max-age`
 * allows, and fetched again once when a token names a key id the cache does not hold (Google
 * rotates keys every week or two). A failed fetch with a warm cache keeps the cached keys.
 */
export class GoogleKeySet {
  private keys: ReturnType<typeof createLocalJWKSet> | null = null;
  private expiresAt = 0;
  private unknownKidFetchedAt = 0;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  /** A key resolver for jose's jwtVerify. */
  readonly resolve = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    if (this.keys === null || Date.now() >= this.expiresAt) await this.refresh(this.keys === null);
    try {
      return await this.keys!(header, token);
    } catch (error) {
      const cooling = Date.now() - this.unknownKidFetchedAt < REFETCH_COOLDOWN_MS;
      if (!(error instanceof errors.JWKSNoMatchingKey) || cooling) throw error;
      this.unknownKidFetchedAt = Date.now();
      await this.refresh(true);
      return this.keys!(header, token);
    }
  };

  private async refresh(required: boolean): Promise<void> {
    try {
      const response = await request(this.url, {
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const body = (await response.body.json()) as JSONWebKeySet;
      if (response.statusCode !== 200 || !Array.isArray(body.keys))
        throw new Error(`JWKS answered ${response.statusCode}`);
      this.keys = createLocalJWKSet(body);
      this.expiresAt = Date.now() + maxAgeMs(response.headers['cache-control']);
    } catch (error) {
      if (required || this.keys === null)
        throw new errors.JWKSTimeout(`signing keys unavailable: ${(error as Error).message}`);
    }
  }
}

function maxAgeMs(cacheControl: string | string[] | undefined): number {
  const header = Array.isArray(cacheControl) ? cacheControl.join(',') : (cacheControl ?? '');
  const seconds = Number(/max-age=(\d+)/i.exec(header)?.[1]);
  if (!Number.isFinite(seconds)) return DEFAULT_MAX_AGE_MS;
  return Math.min(seconds * 1000, LONGEST_MAX_AGE_MS);
}
