import { createHash } from 'node:crypto';
import type { CodeRecord } from './code-store.js';
import type { EmulatorContext } from './emulator-context.js';
import type { AccessTokenRecord, RefreshTokenRecord } from './grant-store.js';
import type { Params } from './http-util.js';
import { signIdToken } from './id-token.js';
import { reauthDue } from './reauth-policies.js';
import { testingLifetimeMs, type RegisteredClient } from './registry.js';
import { grantsOpenid, onlySignInScopes } from './scopes.js';
import { TOKEN_ERRORS, type TokenError } from './token-errors.js';

export interface TokenResponseBody {
  access_token: string;
  expires_in: number;
  refresh_token?: string;
  scope: string;
  token_type: 'Bearer';
  id_token?: string;
  /** Testing-mode apps only: seconds until the refresh token ends (Google sends 604799). */
  refresh_token_expires_in?: number;
}

export type TokenOutcome = { error: TokenError } | { tokens: TokenResponseBody };

function failure(error: TokenError): TokenOutcome {
  return { error };
}

/** authorization_code grant, with every §3.5 answer reachable. */
export async function redeemCode(
  ctx: EmulatorContext,
  client: RegisteredClient,
  params: Params,
): Promise<TokenOutcome> {
  const code = params.code;
  if (!code) return failure(TOKEN_ERRORS.missingParameter('code'));
  if (!code.startsWith('4/')) return failure(TOKEN_ERRORS.malformedCode());
  const record = ctx.codes.find(code);
  if (!record || record.clientId !== client.clientId) return failure(TOKEN_ERRORS.badCode());
  if (record.redeemed) return replayedCode(ctx, record);
  if (!ctx.grants.isLiveGrant(record.clientId, record.sub, record.grantId)) {
    return failure(TOKEN_ERRORS.badCode());
  }
  if (!params.redirect_uri) return failure(TOKEN_ERRORS.missingParameter('redirect_uri'));
  if (params.redirect_uri !== record.redirectUri) {
    return failure(TOKEN_ERRORS.redirectUriMismatch());
  }
  const verifierProblem = checkCodeVerifier(record, params.code_verifier);
  if (verifierProblem) return failure(verifierProblem);
  const wantsRefreshToken =
    record.accessType === 'offline' &&
    (record.consentForced ||
      record.grantsNewScopes ||
      !ctx.grants.hasIssuedRefreshToken(client.clientId, record.sub));
  const access = ctx.grants.issueAccessToken({
    clientId: client.clientId,
    sub: record.sub,
    scopes: record.scopes,
    accessType: record.accessType,
  });
  const refresh = wantsRefreshToken ? issueRefreshToken(ctx, client, record) : undefined;
  ctx.codes.markRedeemed(record, refresh ? [access.token, refresh.token] : [access.token]);
  const tokens = await tokenResponse(ctx, access, refresh?.token, record.nonce);
  if (refresh?.expiresAtMs !== undefined) {
    // Google counts down from 604799 for a 7-day token, as expires_in from 3599.
    tokens.refresh_token_expires_in =
      Math.ceil((refresh.expiresAtMs - ctx.clock.nowMs()) / 1000) - 1;
  }
  return { tokens };
}

/** Testing-mode clients get refresh tokens that end 7 days after issue, unless sign-in only. */
function issueRefreshToken(
  ctx: EmulatorContext,
  client: RegisteredClient,
  record: CodeRecord,
): RefreshTokenRecord {
  const lifetimeMs = onlySignInScopes(record.scopes) ? undefined : testingLifetimeMs(client);
  return ctx.grants.issueRefreshToken({
    clientId: client.clientId,
    sub: record.sub,
    scopes: record.scopes,
    expiresAtMs: lifetimeMs === undefined ? undefined : ctx.clock.nowMs() + lifetimeMs,
  });
}

/** RFC 6749 §4.1.2: a replayed code is refused and what it produced is revoked. */
function replayedCode(ctx: EmulatorContext, record: CodeRecord): TokenOutcome {
  ctx.grants.revokeTokens(record.issuedTokens);
  ctx.settings.log('google-emulator: authorization code replayed; its tokens are revoked');
  return failure(TOKEN_ERRORS.badCode());
}

function checkCodeVerifier(
  record: CodeRecord,
  verifier: string | undefined,
): TokenError | undefined {
  if (record.codeChallenge === undefined) {
    return verifier === undefined ? undefined : TOKEN_ERRORS.verifierNotNeeded();
  }
  if (verifier === undefined) return TOKEN_ERRORS.missingVerifier();
  const expected =
    record.codeChallengeMethod === 'S256'
      ? createHash('sha256').update(verifier).digest('base64url')
      : verifier;
  return expected === record.codeChallenge ? undefined : TOKEN_ERRORS.invalidVerifier();
}

/** refresh_token grant: no new refresh token unless the rotation fault is on. */
export async function refreshAccessToken(
  ctx: EmulatorContext,
  client: RegisteredClient,
  params: Params,
): Promise<TokenOutcome> {
  const refreshToken = params.refresh_token;
  if (!refreshToken) return failure(TOKEN_ERRORS.missingParameter('refresh_token'));
  const record = ctx.grants.findRefreshToken(refreshToken);
  if (!record) return failure(TOKEN_ERRORS.expiredOrRevoked());
  if (record.clientId !== client.clientId) return failure(TOKEN_ERRORS.otherClientsToken());
  if (reauthDue(ctx, record.clientId, record.sub)) return failure(TOKEN_ERRORS.invalidRapt());
  const access = ctx.grants.issueAccessToken({
    clientId: record.clientId,
    sub: record.sub,
    scopes: record.scopes,
    accessType: 'offline',
  });
  let rotated: string | undefined;
  if (ctx.faults.rotatesRefreshTokens) {
    rotated = ctx.grants.issueRefreshToken({ ...record }).token;
    ctx.grants.retireRefreshToken(refreshToken);
  }
  return { tokens: await tokenResponse(ctx, access, rotated, undefined) };
}

async function tokenResponse(
  ctx: EmulatorContext,
  access: AccessTokenRecord,
  refreshToken: string | undefined,
  nonce: string | undefined,
): Promise<TokenResponseBody> {
  const body: TokenResponseBody = {
    access_token: access.token,
    expires_in: ctx.settings.accessTokenTtlSeconds,
    ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    scope: access.scopes.join(' '),
    token_type: 'Bearer',
  };
  const user = ctx.registry.findUser(access.sub);
  if (user && grantsOpenid(access.scopes)) {
    body.id_token = await signIdToken(ctx.keys.signingKey, {
      issuer: ctx.settings.issuer,
      clientId: access.clientId,
      user,
      scopes: access.scopes,
      accessToken: access.token,
      nonce,
      nowSeconds: ctx.clock.nowSeconds(),
    });
  }
  return body;
}
