import { createHash } from 'node:crypto';

// Cross-Account Protection (RISC) event types, as Google's documentation lists them, plus
// account-purged from the OpenID RISC event types.
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
const OAUTH = 'https://schemas.openid.net/secevent/oauth/event-type/';

export const RISC_EVENT_TYPES = {
  'sessions-revoked': `${RISC}sessions-revoked`,
  'tokens-revoked': `${OAUTH}tokens-revoked`,
  'token-revoked': `${OAUTH}token-revoked`,
  'account-disabled': `${RISC}account-disabled`,
  'account-enabled': `${RISC}account-enabled`,
  'account-purged': `${RISC}account-purged`,
  'account-credential-change-required': `${RISC}account-credential-change-required`,
  verification: `${RISC}verification`,
} as const;

export type RiscEventName = keyof typeof RISC_EVENT_TYPES;

export const ACCOUNT_DISABLED_REASONS = ['hijacking', 'bulk-account'] as const;
export const TOKEN_IDENTIFIER_ALGS = ['hash_base64_sha512_sha512', 'prefix'] as const;
export type TokenIdentifierAlg = (typeof TOKEN_IDENTIFIER_ALGS)[number];

/** What Google's live risc-configuration lists (http), and what its docs register (https). */
export const PUSH_DELIVERY_METHOD_PUBLISHED =
  'http://schemas.openid.net/secevent/risc/delivery-method/push';
export const PUSH_DELIVERY_METHODS = [
  PUSH_DELIVERY_METHOD_PUBLISHED,
  'https://schemas.openid.net/secevent/risc/delivery-method/push',
];

/** The RFC 8417 header `typ` the emulator uses unless told otherwise. */
export const DEFAULT_SET_TYP = 'secevent+jwt';

/** A short name (`tokens-revoked`) or a full event type URI → the short name. */
export function riscEventName(typeOrUri: string): RiscEventName | undefined {
  if (typeOrUri in RISC_EVENT_TYPES) return typeOrUri as RiscEventName;
  const entry = Object.entries(RISC_EVENT_TYPES).find(([, uri]) => uri === typeOrUri);
  return entry?.[0] as RiscEventName | undefined;
}

export function isRiscEventUri(uri: string): boolean {
  return Object.values(RISC_EVENT_TYPES).includes(uri as never);
}

/** The user a RISC event is about, as Google names them. */
export function issSubSubject(issuer: string, sub: string): Record<string, string> {
  return { subject_type: 'iss-sub', iss: issuer, sub };
}

/** Google's identifiers for one refresh token: its first 16 characters, or base64 SHA-512². */
export function refreshTokenIdentifier(token: string, alg: TokenIdentifierAlg): string {
  if (alg === 'prefix') return token.slice(0, 16);
  const inner = createHash('sha512').update(token, 'utf8').digest();
  return createHash('sha512').update(inner).digest('base64');
}

export function refreshTokenSubject(
  token: string,
  alg: TokenIdentifierAlg,
): Record<string, string> {
  return {
    subject_type: 'oauth_token',
    token_type: 'refresh_token',
    token_identifier_alg: alg,
    token: refreshTokenIdentifier(token, alg),
  };
}
