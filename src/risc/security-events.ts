// Cross-Account Protection event types (Google's RISC docs, the OpenID RISC and OAuth event types).
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
const OAUTH = 'https://schemas.openid.net/secevent/oauth/event-type/';

export const RISC_EVENT_URIS = {
  'sessions-revoked': `${RISC}sessions-revoked`,
  'tokens-revoked': `${OAUTH}tokens-revoked`,
  'token-revoked': `${OAUTH}token-revoked`,
  'account-disabled': `${RISC}account-disabled`,
  'account-enabled': `${RISC}account-enabled`,
  'account-purged': `${RISC}account-purged`,
  'account-credential-change-required': `${RISC}account-credential-change-required`,
  verification: `${RISC}verification`,
} as const;

export type RiscEventName = keyof typeof RISC_EVENT_URIS;

/** A Google account, as Google names it: its ID-token issuer and `sub`. */
export interface AccountSubject {
  kind: 'account';
  issuer: string;
  sub: string;
}

/** One refresh token: base64 SHA-512(SHA-512(token)), or its first 16 characters. */
export interface RefreshTokenSubject {
  kind: 'refresh-token';
  alg: 'hash_base64_sha512_sha512' | 'prefix';
  identifier: string;
}

export type EventSubject = AccountSubject | RefreshTokenSubject;

/** One event of a verified security event token, reduced to what the receiver uses. */
export interface SecurityEvent {
  /** The short name, or `unsupported` for a type this receiver does not know. */
  name: RiscEventName | 'unsupported';
  uri: string;
  subject: EventSubject | null;
  /** account-disabled: `hijacking` or `bulk-account` (absent when Google gives none). */
  reason: string | null;
  /** verification: the state the verification request carried. */
  state: string | null;
}

const MAX_TEXT = 512;
/** account-disabled reasons are short words (`hijacking`, `bulk-account`); anything else is dropped. */
const REASON = /^[\w.:-]{1,64}$/;

/** The `events` claim → one SecurityEvent per entry; throws when it is not an object of objects. */
export function parseEvents(events: unknown): SecurityEvent[] {
  if (!isRecord(events)) throw new Error('the events claim is not an object');
  const entries = Object.entries(events);
  if (entries.length === 0) throw new Error('the events claim is empty');
  return entries.map(([uri, body]) => {
    if (!isRecord(body)) throw new Error('an event is not an object');
    return {
      name: eventName(uri),
      uri: uri.slice(0, MAX_TEXT),
      subject: parseSubject(body.subject),
      reason: typeof body.reason === 'string' && REASON.test(body.reason) ? body.reason : null,
      state: shortText(body.state),
    };
  });
}

export function eventName(uri: string): RiscEventName | 'unsupported' {
  const entry = Object.entries(RISC_EVENT_URIS).find(([, known]) => known === uri);
  return (entry?.[0] as RiscEventName | undefined) ?? 'unsupported';
}

/** An `iss-sub` or `oauth_token` subject; null for anything else (then no user can be found). */
export function parseSubject(subject: unknown): EventSubject | null {
  if (!isRecord(subject)) return null;
  if (subject.subject_type === 'iss-sub') {
    const issuer = shortText(subject.iss);
    const sub = shortText(subject.sub);
    return issuer && sub ? { kind: 'account', issuer, sub } : null;
  }
  if (subject.subject_type === 'oauth_token' && subject.token_type === 'refresh_token') {
    const alg = subject.token_identifier_alg;
    const identifier = shortText(subject.token);
    if ((alg === 'hash_base64_sha512_sha512' || alg === 'prefix') && identifier)
      return { kind: 'refresh-token', alg, identifier };
  }
  return null;
}

/** Google's RISC issuer ends in a slash, its ID tokens' does not: compare them without it. */
export function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

function shortText(value: unknown): string | null {
  return typeof value === 'string' && value !== '' && value.length <= MAX_TEXT ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
