import { describe, expect, it } from '@jest/globals';
import { SignInError, SignInErrorCode } from '../sign-in.error.js';
import { scopesToAsk } from './requested-scopes.js';

const EMAIL = 'https://www.googleapis.com/auth/userinfo.email';
const PROFILE = 'https://www.googleapis.com/auth/userinfo.profile';
const DRIVE = 'https://www.googleapis.com/auth/drive.readonly';
const SIGN_IN = ['openid', 'email', 'profile'];
const ALLOWED = ['openid', EMAIL, PROFILE, DRIVE];

function refusal(work: () => unknown): SignInError {
  try {
    work();
  } catch (error) {
    if (error instanceof SignInError) return error;
    throw error;
  }
  throw new Error('expected a SignInError');
}

describe('scopesToAsk', () => {
  it('asks for the sign-in scopes when no scope is requested', () => {
    expect(scopesToAsk(undefined, SIGN_IN, ALLOWED)).toEqual(['openid', EMAIL, PROFILE]);
  });

  it('adds allowed scopes to the sign-in scopes', () => {
    expect(scopesToAsk(`${DRIVE} email`, SIGN_IN, ALLOWED)).toEqual([
      'openid',
      EMAIL,
      PROFILE,
      DRIVE,
    ]);
  });

  it('refuses a scope outside the allow-list, naming it', () => {
    const error = refusal(() => scopesToAsk(`${DRIVE} https://mail.google.com/`, SIGN_IN, ALLOWED));
    expect(error.code).toBe(SignInErrorCode.ScopeNotAllowed);
    expect(error.reason).toMatch(/https:\/\/mail\.google\.com\//);
  });

  it('refuses a repeated or oversized parameter', () => {
    expect(refusal(() => scopesToAsk([DRIVE, DRIVE], SIGN_IN, ALLOWED)).code).toBe(
      SignInErrorCode.ScopeNotAllowed,
    );
    expect(refusal(() => scopesToAsk('x'.repeat(3000), SIGN_IN, ALLOWED)).code).toBe(
      SignInErrorCode.ScopeNotAllowed,
    );
  });
});
