import { describe, expect, it } from '@jest/globals';
import {
  canonicalScope,
  missingScopes,
  onlyBasicProfileScopes,
  parseScopes,
  scopeRequestUrl,
  unionScopes,
} from './scopes.js';

const EMAIL = 'https://www.googleapis.com/auth/userinfo.email';
const PROFILE = 'https://www.googleapis.com/auth/userinfo.profile';
const DRIVE = 'https://www.googleapis.com/auth/drive.readonly';
const CALENDAR = 'https://www.googleapis.com/auth/calendar.readonly';

describe('scopes', () => {
  it('compares the short sign-in scopes in the form Google answers them', () => {
    expect(canonicalScope('email')).toBe(EMAIL);
    expect(canonicalScope('profile')).toBe(PROFILE);
    expect(canonicalScope('openid')).toBe('openid');
    expect(canonicalScope(DRIVE)).toBe(DRIVE);
  });

  it('parses space-separated lists, once each, in order', () => {
    expect(parseScopes(`openid  email ${EMAIL} ${DRIVE}`)).toEqual(['openid', EMAIL, DRIVE]);
    expect(parseScopes(['openid profile', DRIVE])).toEqual(['openid', PROFILE, DRIVE]);
    expect(parseScopes(null)).toEqual([]);
    expect(parseScopes('')).toEqual([]);
  });

  it('unions lists', () => {
    expect(unionScopes('openid email', [DRIVE], `${EMAIL} ${CALENDAR}`, null)).toEqual([
      'openid',
      EMAIL,
      DRIVE,
      CALENDAR,
    ]);
  });

  it('lists what was wanted and not granted', () => {
    expect(
      missingScopes(`openid email ${DRIVE} ${CALENDAR}`, `openid ${EMAIL} ${CALENDAR}`),
    ).toEqual([DRIVE]);
    expect(missingScopes('openid email profile', `openid ${EMAIL} ${PROFILE}`)).toEqual([]);
  });

  it('tells basic profile scopes from the rest', () => {
    expect(onlyBasicProfileScopes(`openid ${EMAIL} profile`)).toBe(true);
    expect(onlyBasicProfileScopes(`openid ${EMAIL} ${DRIVE}`)).toBe(false);
  });

  it('builds the sign-in URL asking for exactly the scopes given', () => {
    const url = new URL(scopeRequestUrl('http://app.test', [DRIVE, CALENDAR]));
    expect(url.origin + url.pathname).toBe('http://app.test/auth/google');
    expect(url.searchParams.get('scope')).toBe(`${DRIVE} ${CALENDAR}`);
  });
});
