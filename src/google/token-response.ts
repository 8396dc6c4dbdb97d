import { GoogleApiError, GoogleErrorKind } from './google-api.error.js';
import { describeSchemaError, tokenEndpointAnswer } from './google-answers.js';

/** What Google's token endpoint returned, as far as storage cares. */
export interface TokenResponse {
  accessToken: string;
  refreshToken?: string;
  /** The token's lifetime: Google's `expires_in`, or ASSUMED_LIFETIME_SECONDS when that was unusable. */
  expiresInSeconds: number;
  /** True when Google's `expires_in` was missing or unusable and the short default was assumed. */
  expiresInAssumed: boolean;
  scope?: string;
  tokenType?: string;
}

/**
 * The lifetime assumed for an access token whose `expires_in` is missing, not a number, not
 * positive or beyond a day: short, so the token is refreshed soon (after half of it) rather than
 * treated as never expiring.
 */
export const ASSUMED_LIFETIME_SECONDS = 60;
/** Google's tokens live about an hour; anything past a day is not a lifetime we believe. */
const LONGEST_BELIEVABLE_SECONDS = 86_400;

/**
 * Reads the parsed JSON of a token endpoint answer, checked against its schema (a GoogleApiError
 * of kind BAD_RESPONSE when it does not fit); a missing or blank refresh_token becomes undefined.
 */
export function readTokenResponse(body: unknown, accessToken?: string): TokenResponse {
  const parsed = tokenEndpointAnswer.safeParse(
    accessToken === undefined ? body : { ...(body as object), access_token: accessToken },
  );
  if (!parsed.success) {
    throw new GoogleApiError(
      GoogleErrorKind.BadResponse,
      `token response refused (${describeSchemaError(parsed.error)})`,
      200,
    );
  }
  const answer = parsed.data;
  const blankToUndefined = (value: string | null | undefined) =>
    typeof value === 'string' && value.trim() !== '' ? value : undefined;
  const expiresIn = readExpiresIn(answer.expires_in);
  return {
    accessToken: answer.access_token,
    refreshToken: blankToUndefined(answer.refresh_token),
    expiresInSeconds: expiresIn ?? ASSUMED_LIFETIME_SECONDS,
    expiresInAssumed: expiresIn === undefined,
    scope: blankToUndefined(answer.scope),
    tokenType: blankToUndefined(answer.token_type),
  };
}

/** Whole seconds from a number or a string of digits, if believable; undefined otherwise. */
function readExpiresIn(value: unknown): number | undefined {
  const seconds =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value)
        ? Number(value)
        : NaN;
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > LONGEST_BELIEVABLE_SECONDS)
    return undefined;
  return Math.floor(seconds);
}

/** Absolute expiry on our own clock at receipt. */
export function expiryFrom(response: TokenResponse, receivedAt: Date): Date {
  return new Date(receivedAt.getTime() + response.expiresInSeconds * 1000);
}
