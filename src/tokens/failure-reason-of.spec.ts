import { describe, expect, it } from '@jest/globals';
import { failureReasonOf, type GoogleRefusal, type GrantFacts } from './failure-reason-of.js';
import { GrantFailureReason } from './grant-failure-reason.js';

const NOW = new Date('2026-06-30T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 24 * 3600 * 1000);
const CALENDAR = 'https://www.googleapis.com/auth/calendar.readonly';
const BASIC = ['openid', 'https://www.googleapis.com/auth/userinfo.email', 'profile'];

const EXPIRED_OR_REVOKED: GoogleRefusal = {
  error: 'invalid_grant',
  description: 'Token has been expired or revoked.',
};
const RAPT: GoogleRefusal = {
  error: 'invalid_grant',
  subtype: 'invalid_rapt',
  description: 'reauth related error (invalid_rapt)',
};

function facts(overrides: Partial<GrantFacts> = {}): GrantFacts {
  return {
    now: NOW,
    publishingStatus: 'production',
    scopes: [...BASIC, CALENDAR],
    refreshTokenIssuedAt: daysAgo(1),
    lastRefreshedAt: null,
    accessTokenAccepted: null,
    ...overrides,
  };
}

describe('failureReasonOf', () => {
  it.each<[string, GoogleRefusal, Partial<GrantFacts>, GrantFailureReason]>([
    ['invalid_rapt subtype', RAPT, {}, GrantFailureReason.ReauthPolicy],
    [
      'rapt_required subtype',
      { error: 'invalid_grant', subtype: 'rapt_required' },
      {},
      GrantFailureReason.ReauthPolicy,
    ],
    [
      'invalid_rapt in the description only',
      { error: 'invalid_grant', description: 'reauth related error (invalid_rapt)' },
      {},
      GrantFailureReason.ReauthPolicy,
    ],
    [
      'invalid_rapt even when the access token is refused',
      RAPT,
      { accessTokenAccepted: false },
      GrantFailureReason.ReauthPolicy,
    ],
    [
      'invalid_rapt in Testing mode after 7 days',
      RAPT,
      { publishingStatus: 'testing', refreshTokenIssuedAt: daysAgo(8) },
      GrantFailureReason.ReauthPolicy,
    ],
    [
      'invalid_client (wrong secret)',
      { error: 'invalid_client', description: 'Unauthorized' },
      {},
      GrantFailureReason.ClientMisconfigured,
    ],
    [
      'unauthorized_client (token of another client)',
      { error: 'unauthorized_client' },
      {},
      GrantFailureReason.ClientMisconfigured,
    ],
    ['deleted_client', { error: 'deleted_client' }, {}, GrantFailureReason.ClientMisconfigured],
    [
      'Testing mode, 7 days after issue',
      EXPIRED_OR_REVOKED,
      { publishingStatus: 'testing', refreshTokenIssuedAt: daysAgo(7) },
      GrantFailureReason.ExpiredTestingApp,
    ],
    [
      'Testing mode beats a live access token',
      EXPIRED_OR_REVOKED,
      { publishingStatus: 'testing', refreshTokenIssuedAt: daysAgo(9), accessTokenAccepted: true },
      GrantFailureReason.ExpiredTestingApp,
    ],
    [
      'Testing mode, 6 days after issue, access token refused',
      EXPIRED_OR_REVOKED,
      { publishingStatus: 'testing', refreshTokenIssuedAt: daysAgo(6), accessTokenAccepted: false },
      GrantFailureReason.Revoked,
    ],
    [
      'Testing mode, only basic scopes, never expires',
      EXPIRED_OR_REVOKED,
      { publishingStatus: 'testing', scopes: BASIC, refreshTokenIssuedAt: daysAgo(30) },
      GrantFailureReason.Unknown,
    ],
    [
      'Testing mode, issue time unknown',
      EXPIRED_OR_REVOKED,
      { publishingStatus: 'testing', refreshTokenIssuedAt: null },
      GrantFailureReason.Unknown,
    ],
    [
      'production, 8 days after issue',
      EXPIRED_OR_REVOKED,
      { refreshTokenIssuedAt: daysAgo(8) },
      GrantFailureReason.Unknown,
    ],
    [
      'never refreshed for six months',
      EXPIRED_OR_REVOKED,
      { refreshTokenIssuedAt: daysAgo(190) },
      GrantFailureReason.Unused,
    ],
    [
      'last refreshed six months ago',
      EXPIRED_OR_REVOKED,
      { refreshTokenIssuedAt: daysAgo(400), lastRefreshedAt: daysAgo(183) },
      GrantFailureReason.Unused,
    ],
    [
      'refreshed five months ago',
      EXPIRED_OR_REVOKED,
      { refreshTokenIssuedAt: daysAgo(400), lastRefreshedAt: daysAgo(150) },
      GrantFailureReason.Unknown,
    ],
    [
      'a new refresh token a month ago counts as use',
      EXPIRED_OR_REVOKED,
      { refreshTokenIssuedAt: daysAgo(30), lastRefreshedAt: daysAgo(300) },
      GrantFailureReason.Unknown,
    ],
    [
      'the access token still works: only the refresh token died',
      EXPIRED_OR_REVOKED,
      { accessTokenAccepted: true },
      GrantFailureReason.Evicted,
    ],
    [
      'the access token is refused too: the whole grant is gone',
      EXPIRED_OR_REVOKED,
      { accessTokenAccepted: false },
      GrantFailureReason.Revoked,
    ],
    [
      '"Bad Request" (Google forgot the token), access token refused',
      { error: 'invalid_grant', description: 'Bad Request' },
      { accessTokenAccepted: false },
      GrantFailureReason.Revoked,
    ],
    ['nothing else known', EXPIRED_OR_REVOKED, {}, GrantFailureReason.Unknown],
    [
      'another error code',
      { error: 'invalid_request' },
      { accessTokenAccepted: false },
      GrantFailureReason.Unknown,
    ],
  ])('%s', (_case, refusal, overrides, expected) => {
    expect(failureReasonOf(refusal, facts(overrides))).toBe(expected);
  });
});
