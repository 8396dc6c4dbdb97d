import { createHash } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import type { EmulatorUser } from './types.js';
import type { SigningKey } from './keys.js';
import { grantsEmail, grantsProfile } from './scopes.js';

export const ID_TOKEN_LIFETIME_SECONDS = 3600;

export interface IdTokenInput {
  issuer: string;
  clientId: string;
  user: EmulatorUser;
  scopes: readonly string[];
  accessToken: string;
  nonce?: string;
  nowSeconds: number;
}

/** OIDC at_hash: base64url of the left half of SHA-256(access token). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
}

export function idTokenClaims(input: IdTokenInput): JWTPayload {
  const { user, scopes } = input;
  const claims: JWTPayload = {
    iss: input.issuer,
    azp: input.clientId,
    aud: input.clientId,
    sub: user.sub,
  };
  if (user.hd) claims.hd = user.hd;
  if (grantsEmail(scopes)) {
    claims.email = user.email;
    claims.email_verified = user.emailVerified ?? true;
  }
  claims.at_hash = accessTokenHash(input.accessToken);
  if (input.nonce !== undefined) claims.nonce = input.nonce;
  if (grantsProfile(scopes)) Object.assign(claims, profileClaims(user));
  claims.iat = input.nowSeconds;
  claims.exp = input.nowSeconds + ID_TOKEN_LIFETIME_SECONDS;
  return claims;
}

function profileClaims(user: EmulatorUser): Record<string, string> {
  const claims: Record<string, string> = { name: user.name };
  if (user.picture !== undefined) claims.picture = user.picture;
  if (user.givenName !== undefined) claims.given_name = user.givenName;
  if (user.familyName !== undefined) claims.family_name = user.familyName;
  return claims;
}

export async function signIdToken(key: SigningKey, input: IdTokenInput): Promise<string> {
  return new SignJWT(idTokenClaims(input))
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .sign(key.privateKey);
}
