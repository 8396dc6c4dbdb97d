import { describe, expect, it } from '@jest/globals';
import { eventName, parseEvents, parseSubject, sameIssuer } from './security-events.js';

const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
const OAUTH = 'https://schemas.openid.net/secevent/oauth/event-type/';
const ACCOUNT = { subject_type: 'iss-sub', iss: 'https://accounts.google.com/', sub: '7375626A' };

describe('parseEvents', () => {
  it('reads the subject, reason and state of each event', () => {
    expect(
      parseEvents({
        [`${RISC}account-disabled`]: { subject: ACCOUNT, reason: 'hijacking' },
        [`${RISC}verification`]: { state: 'abc' },
      }),
    ).toEqual([
      {
        name: 'account-disabled',
        uri: `${RISC}account-disabled`,
        subject: { kind: 'account', issuer: 'https://accounts.google.com/', sub: '7375626A' },
        reason: 'hijacking',
        state: null,
      },
      {
        name: 'verification',
        uri: `${RISC}verification`,
        subject: null,
        reason: null,
        state: 'abc',
      },
    ]);
  });

  it('keeps an unknown event type as unsupported and drops a reason that is not a short word', () => {
    const [event] = parseEvents({ 'urn:other': { subject: ACCOUNT, reason: 'two words\n' } });
    expect(event.name).toBe('unsupported');
    expect(event.reason).toBe(null);
  });

  it.each([undefined, null, 'events', [], {}, { [`${RISC}verification`]: 'not an object' }])(
    'refuses the events claim %p',
    (events) => {
      expect(() => parseEvents(events)).toThrow();
    },
  );
});

describe('parseSubject', () => {
  it('reads a refresh-token subject by either identifier algorithm', () => {
    for (const alg of ['hash_base64_sha512_sha512', 'prefix'] as const) {
      expect(
        parseSubject({
          subject_type: 'oauth_token',
          token_type: 'refresh_token',
          token_identifier_alg: alg,
          token: 'id',
        }),
      ).toEqual({ kind: 'refresh-token', alg, identifier: 'id' });
    }
  });

  it.each([
    [{ subject_type: 'email', email: 'ada@example.com' }],
    [{ subject_type: 'iss-sub', iss: 'https://accounts.google.com/' }],
    [
      {
        subject_type: 'oauth_token',
        token_type: 'access_token',
        token_identifier_alg: 'prefix',
        token: 'x',
      },
    ],
    [
      {
        subject_type: 'oauth_token',
        token_type: 'refresh_token',
        token_identifier_alg: 'md5',
        token: 'x',
      },
    ],
    ['iss-sub'],
  ])('finds nobody in %p', (subject) => {
    expect(parseSubject(subject)).toBe(null);
  });
});

describe('eventName and sameIssuer', () => {
  it('knows the OAuth token events by their own namespace', () => {
    expect(eventName(`${OAUTH}tokens-revoked`)).toBe('tokens-revoked');
    expect(eventName(`${RISC}tokens-revoked`)).toBe('unsupported');
  });

  it("ignores the trailing slash of Google's RISC issuer, nothing else", () => {
    expect(sameIssuer('https://accounts.google.com/', 'https://accounts.google.com')).toBe(true);
    expect(sameIssuer('https://accounts.google.com.evil', 'https://accounts.google.com')).toBe(
      false,
    );
  });
});
