import { createHash } from 'node:crypto';
import { errors, jwtVerify, type JWTPayload } from 'jose';
import { GoogleKeySet } from './google-key-set.js';
import { sha256 } from '../../common/hash.js';
import { SignInError, SignInErrorCode } from '../sign-in.error.js';
import type { VerifiedIdentity } from '../../users/verified-identity.js';

export interface IdTokenExpectations {
  nonceHash: string;
  accessToken: string;
}

const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Checks an ID token from the token endpoint the way Google prescribes: RS256 signature against the
 * JWKS (cached, refetched once on an unknown kid), issuer, audience, azp, expiry, and our nonce.
 */
export class IdTokenVerifier {
  private readonly keySet: GoogleKeySet;

  constructor(
    jwksUrl: string,
    private readonly issuers: string[],
    private readonly clientId: string,
    options: { timeoutMs: number; allowedHostedDomain?: string | null } = { timeoutMs: 5000 },
  ) {
    this.keySet = new GoogleKeySet(jwksUrl, options.timeoutMs);
    this.allowedHostedDomain = options.allowedHostedDomain ?? null;
  }

  private readonly allowedHostedDomain: string | null;

  async verify(
    idToken: string | undefined,
    expected: IdTokenExpectations,
  ): Promise<VerifiedIdentity> {
    if (!idToken) throw invalid('Google returned no ID token');
    const claims = await this.verifySignatureAndClaims(idToken);
    const problem = this.problemWith(claims, expected);
    if (problem) throw invalid(problem);
    if (
      this.allowedHostedDomain !== null &&
      (claims.hd !== this.allowedHostedDomain || claims.email_verified !== true)
    ) {
      throw new SignInError(
        SignInErrorCode.DomainNotAllowed,
        `only verified ${this.allowedHostedDomain} accounts may sign in`,
      );
    }
    return toIdentity(claims);
  }

  /** The checks jose does not make (OIDC Core §3.1.3.7), as a reason, or null when all pass. */
  private problemWith(claims: JWTPayload, expected: IdTokenExpectations): string | null {
    if (typeof claims.nonce !== 'string' || sha256(claims.nonce) !== expected.nonceHash) {
      return 'the ID token nonce does not match this sign-in';
    }
    if (Array.isArray(claims.aud) && claims.aud.some((audience) => audience !== this.clientId)) {
      return 'the ID token is also meant for other clients (aud)';
    }
    if (claims.azp !== undefined && claims.azp !== this.clientId) {
      return 'the ID token was issued to another client (azp)';
    }
    if (
      typeof claims.at_hash === 'string' &&
      claims.at_hash !== accessTokenHash(expected.accessToken)
    ) {
      return 'the ID token does not belong to the access token (at_hash)';
    }
    if (typeof claims.sub !== 'string' || claims.sub.length === 0) return 'the ID token has no sub';
    return null;
  }

  private async verifySignatureAndClaims(idToken: string): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(idToken, this.keySet.resolve, {
        algorithms: ['RS256'],
        issuer: this.issuers,
        audience: this.clientId,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['iat', 'exp', 'sub'],
        // Google's ID tokens live an hour; one issued long ago is not from this sign-in.
        maxTokenAge: '2h',
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired) {
        throw invalid(`the ID token claim ${error.claim} is not acceptable (${error.reason})`);
      }
      if (error instanceof errors.JOSEError && !(error instanceof errors.JWKSTimeout)) {
        throw invalid(`the ID token failed verification (${error.code})`);
      }
      throw new SignInError(
        SignInErrorCode.UpstreamUnavailable,
        'Google signing keys could not be fetched',
      );
    }
  }
}

function toIdentity(claims: JWTPayload): VerifiedIdentity {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
  return {
    sub: claims.sub as string,
    email: text(claims.email),
    emailVerified: claims.email_verified === true,
    name: text(claims.name),
    picture: text(claims.picture),
    hostedDomain: text(claims.hd),
  };
}

function invalid(reason: string): SignInError {
  return new SignInError(SignInErrorCode.InvalidIdToken, reason);
}

function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
}
