import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { parseEvents, type SecurityEvent } from './security-events.js';
import { TransmitterUnavailableError, type RiscTransmitter } from './risc-transmitter.js';

/** A token that is not a valid, fresh SET for us. The message is for the log, never for the sender. */
export class RejectedTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RejectedTokenError';
  }
}

export interface VerifiedSet {
  issuer: string;
  jti: string;
  issuedAt: Date;
  events: SecurityEvent[];
}

export interface SetExpectations {
  /** Our OAuth client id: the audience Google signs each SET for. */
  audience: string;
  maxAgeSeconds: number;
  clockToleranceSeconds: number;
}

const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const MAX_JTI_LENGTH = 256;

/**
 * Everything that can be checked without keys or network, so a flood of garbage or forged tokens
 * costs a parse: shape, algorithm, audience, iat within the window, jti, events.
 */
export function precheck(token: string, expected: SetExpectations, nowMs: number): JWTPayload {
  if (!COMPACT_JWS.test(token)) throw new RejectedTokenError('not a compact JWS');
  let claims: JWTPayload;
  try {
    if (decodeProtectedHeader(token).alg !== 'RS256')
      throw new RejectedTokenError('algorithm is not RS256');
    claims = decodeJwt(token);
  } catch (error) {
    if (error instanceof RejectedTokenError) throw error;
    throw new RejectedTokenError('header or claims are not JSON');
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(expected.audience)) throw new RejectedTokenError('aud is not our client');
  const ageSeconds = nowMs / 1000 - Number(claims.iat);
  if (typeof claims.iat !== 'number' || Number.isNaN(ageSeconds))
    throw new RejectedTokenError('iat missing');
  if (ageSeconds > expected.maxAgeSeconds + expected.clockToleranceSeconds)
    throw new RejectedTokenError(`stale: issued ${Math.round(ageSeconds)} s ago`);
  if (ageSeconds < -expected.clockToleranceSeconds)
    throw new RejectedTokenError('iat is in the future');
  if (typeof claims.jti !== 'string' || claims.jti === '' || claims.jti.length > MAX_JTI_LENGTH)
    throw new RejectedTokenError('jti missing or too long');
  eventsOf(claims);
  return claims;
}

/** Checks a Security Event Token (RFC 8417) end to end: precheck, issuer, then signature. */
export async function verifySet(
  token: string,
  transmitter: RiscTransmitter,
  expected: SetExpectations,
): Promise<VerifiedSet> {
  const claims = precheck(token, expected, Date.now());
  const { issuer, keySet } = await transmitter.keys();
  if (claims.iss !== issuer) throw new RejectedTokenError('iss is not the RISC issuer');
  try {
    await jwtVerify(token, keySet.resolve, {
      issuer,
      audience: expected.audience,
      algorithms: ['RS256'],
      maxTokenAge: expected.maxAgeSeconds,
      clockTolerance: expected.clockToleranceSeconds,
    });
  } catch (error) {
    if (error instanceof errors.JWKSTimeout) throw new TransmitterUnavailableError(error.message);
    throw new RejectedTokenError(`signature or claims refused: ${(error as Error).message}`);
  }
  return {
    issuer,
    jti: claims.jti!,
    issuedAt: new Date(claims.iat! * 1000),
    events: eventsOf(claims),
  };
}

function eventsOf(claims: JWTPayload): SecurityEvent[] {
  try {
    return parseEvents(claims.events);
  } catch (error) {
    throw new RejectedTokenError((error as Error).message);
  }
}
