import { describe, expect, it } from '@jest/globals';
import { mergeRefreshResponse, refreshNote } from './token-merge.js';
import { readTokenResponse } from '../google/token-response.js';

const stored = { refreshToken: '1//stored', scopes: 'openid email', tokenType: 'Bearer' };
const receivedAt = new Date('2026-11-29T10:00:00.000Z');

describe('mergeRefreshResponse', () => {
  it('keeps the stored refresh token when the answer has none (Google never rotates)', () => {
    const merged = mergeRefreshResponse(
      stored,
      readTokenResponse({ access_token: 'ya29.new', expires_in: 3599 }),
      receivedAt,
    );
    expect(merged.accessToken).toBe('ya29.new');
    expect(merged.refreshToken).toBe('1//stored');
    expect(merged.refreshTokenRotated).toBe(false);
  });

  it('treats a blank refresh_token as absent', () => {
    for (const blank of ['', '   ', null]) {
      const response = readTokenResponse({
        access_token: 'ya29.new',
        expires_in: 10,
        refresh_token: blank,
      });
      expect(mergeRefreshResponse(stored, response, receivedAt).refreshToken).toBe('1//stored');
    }
  });

  it('replaces the stored refresh token with a new one', () => {
    const response = readTokenResponse({
      access_token: 'ya29.new',
      expires_in: 10,
      refresh_token: '1//rotated',
    });
    const merged = mergeRefreshResponse(stored, response, receivedAt);
    expect(merged.refreshToken).toBe('1//rotated');
    expect(merged.refreshTokenRotated).toBe(true);
  });

  it('computes the expiry from expires_in on our clock at receipt', () => {
    const merged = mergeRefreshResponse(
      stored,
      readTokenResponse({ access_token: 'a', expires_in: 3599 }),
      receivedAt,
    );
    expect(merged.expiresAt.toISOString()).toBe('2026-11-29T10:59:59.000Z');
    const asText = readTokenResponse({ access_token: 'a', expires_in: '120' });
    expect(mergeRefreshResponse(stored, asText, receivedAt).expiresAt.toISOString()).toBe(
      '2026-11-29T10:02:00.000Z',
    );
  });

  it('assumes a 60 s lifetime, and says so, when the answer gives no usable one', () => {
    for (const expiresIn of [undefined, 0, -5, 'soon', 10 ** 9]) {
      const response = readTokenResponse({ access_token: 'a', expires_in: expiresIn });
      const merged = mergeRefreshResponse(stored, response, receivedAt);
      expect(merged.expiresAt.toISOString()).toBe('2026-11-29T10:01:00.000Z');
      expect([merged.lifetimeSeconds, merged.expiresInAssumed]).toEqual([60, true]);
      expect(refreshNote(merged)).toEqual({
        refreshTokenRotated: false,
        code: 'expires_in_unusable',
        detail: "Google's expires_in was missing or unusable; assumed 60 s",
      });
    }
  });

  it('keeps the stored scopes and type unless the answer lists its own', () => {
    const bare = mergeRefreshResponse(stored, readTokenResponse({ access_token: 'a' }), receivedAt);
    expect(bare.scopes).toBe('openid email');
    expect(bare.tokenType).toBe('Bearer');
    const full = mergeRefreshResponse(
      stored,
      readTokenResponse({ access_token: 'a', scope: 'openid', token_type: 'bearer' }),
      receivedAt,
    );
    expect(full.scopes).toBe('openid');
    expect(full.tokenType).toBe('bearer');
  });
});
