/** What Google's token endpoint returned, as far as storage cares. */
export interface TokenResponse {
  accessToken: string;
  refreshToken?: string;
  expiresInSeconds?: number;
  scope?: string;
  tokenType?: string;
}

/** Reads the parsed JSON of a token endpoint answer; a missing or blank refresh_token becomes undefined. */
export function readTokenResponse(
  body: Record<string, unknown>,
  accessToken?: string,
): TokenResponse {
  const text = (value: unknown) =>
    typeof value === 'string' && value.trim() !== '' ? value : undefined;
  const expiresIn = Number(body.expires_in);
  return {
    accessToken: accessToken ?? text(body.access_token) ?? '',
    refreshToken: text(body.refresh_token),
    expiresInSeconds: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : undefined,
    scope: text(body.scope),
    tokenType: text(body.token_type),
  };
}

/** Absolute expiry on our own clock at receipt; null when Google gave no lifetime. */
export function expiryFrom(response: TokenResponse, receivedAt: Date): Date | null {
  if (response.expiresInSeconds === undefined) return null;
  return new Date(receivedAt.getTime() + response.expiresInSeconds * 1000);
}
