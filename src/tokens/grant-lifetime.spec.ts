import { describe, expect, it } from '@jest/globals';
import { StoredTokenState } from './oauth-token.entity.js';
import { holdsUsableRefreshToken, predictedGrantEnd } from './grant-lifetime.js';
import { tokenRow } from './refresh.test-harness.js';

const DRIVE = 'https://www.googleapis.com/auth/drive.readonly';
const ISSUED = new Date('2026-11-01T10:00:00.000Z');
const WEEK_LATER = new Date('2026-11-08T10:00:00.000Z');

describe('grant lifetime', () => {
  const withDrive = tokenRow({ scopes: `openid email ${DRIVE}`, refreshTokenIssuedAt: ISSUED });

  it('predicts the end of a Testing-mode refresh token 7 days after issue', () => {
    expect(predictedGrantEnd(withDrive, 'testing')).toEqual(WEEK_LATER);
  });

  it('predicts no end in production, for basic profile scopes, or without a refresh token', () => {
    expect(predictedGrantEnd(withDrive, 'production')).toBe(null);
    expect(predictedGrantEnd({ ...withDrive, scopes: 'openid email profile' }, 'testing')).toBe(
      null,
    );
    expect(predictedGrantEnd({ ...withDrive, refreshTokenCiphertext: null }, 'testing')).toBe(null);
  });

  it('calls a refresh token usable only on a live grant before its predicted end', () => {
    const before = new Date(WEEK_LATER.getTime() - 1000);
    expect(holdsUsableRefreshToken(withDrive, 'testing', before)).toBe(true);
    expect(holdsUsableRefreshToken(withDrive, 'testing', WEEK_LATER)).toBe(false);
    expect(holdsUsableRefreshToken(withDrive, 'production', WEEK_LATER)).toBe(true);
    expect(holdsUsableRefreshToken(null, 'production')).toBe(false);
    expect(
      holdsUsableRefreshToken({ ...withDrive, refreshTokenCiphertext: null }, 'production'),
    ).toBe(false);
    expect(
      holdsUsableRefreshToken(
        { ...withDrive, state: StoredTokenState.ReauthRequired },
        'production',
      ),
    ).toBe(false);
  });
});
