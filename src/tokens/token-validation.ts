import type { TokenInfo } from '../google/google.client.js';

/** Google's verdict on an access token, from tokeninfo. */
export interface TokenValidation {
  valid: boolean;
  /** Why Google refused the token, when it did. */
  reason: string | null;
  expiresInSeconds: number | null;
  scopes: string[];
  audience: string | null;
  /** True when the token was issued to this app's client. */
  audienceMatches: boolean;
  email: string | null;
  accessType: string | null;
}

export function toTokenValidation(info: TokenInfo, clientId: string): TokenValidation {
  if (!info.valid) {
    return {
      valid: false,
      reason: info.reason,
      expiresInSeconds: null,
      scopes: [],
      audience: null,
      audienceMatches: false,
      email: null,
      accessType: null,
    };
  }
  const { fields } = info;
  const expiresIn = Number(fields.expires_in);
  return {
    valid: true,
    reason: null,
    expiresInSeconds: Number.isFinite(expiresIn) ? expiresIn : null,
    scopes: (fields.scope ?? '').split(' ').filter(Boolean),
    audience: fields.aud ?? null,
    audienceMatches: fields.aud === clientId,
    email: fields.email ?? null,
    accessType: fields.access_type ?? null,
  };
}
