import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeRefreshResponse } from './token-merge.js';
import { readTokenResponse } from './token-response.js';

const stored = { refreshToken: '1//stored', scopes: 'openid email', tokenType: 'Bearer' };
const receivedAt = new Date('2026-11-29T10:00:00.000Z');

describe('mergeRefreshResponse', () => {
  it('keeps the stored refresh token when the answer has none (Google never rotates)', () => {
    const merged = mergeRefreshResponse(
      stored,
      readTokenResponse({ access_token: 'ya29.new', expires_in: 3599 }),
      receivedAt,
    );
    assert.equal(merged.accessToken, 'ya29.new');
    assert.equal(merged.refreshToken, '1//stored');
    assert.equal(merged.refreshTokenRotated, false);
  });

  it('treats a blank refresh_token as absent', () => {
    for (const blank of ['', '   ', null]) {
      const response = readTokenResponse({
        access_token: 'ya29.new',
        expires_in: 10,
        refresh_token: blank,
      });
      assert.equal(mergeRefreshResponse(stored, response, receivedAt).refreshToken, '1//stored');
    }
  });

  it('replaces the stored refresh token with a new one', () => {
    const response = readTokenResponse({
      access_token: 'ya29.new',
      expires_in: 10,
      refresh_token: '1//rotated',
    });
    const merged = mergeRefreshResponse(stored, response, receivedAt);
    assert.equal(merged.refreshToken, '1//rotated');
    assert.equal(merged.refreshTokenRotated, true);
  });

  it('computes the expiry from expires_in on our clock at receipt', () => {
    const merged = mergeRefreshResponse(
      stored,
      readTokenResponse({ access_token: 'a', expires_in: 3599 }),
      receivedAt,
    );
    assert.equal(merged.expiresAt?.toISOString(), '2026-11-29T10:59:59.000Z');
    const asText = readTokenResponse({ access_token: 'a', expires_in: '120' });
    assert.equal(
      mergeRefreshResponse(stored, asText, receivedAt).expiresAt?.toISOString(),
      '2026-11-29T10:02:00.000Z',
    );
  });

  it('has no expiry when the answer gives no usable lifetime', () => {
    for (const expiresIn of [undefined, 0, -5, 'soon']) {
      const response = readTokenResponse({ access_token: 'a', expires_in: expiresIn });
      assert.equal(mergeRefreshResponse(stored, response, receivedAt).expiresAt, null);
    }
  });

  it('keeps the stored scopes and type unless the answer lists its own', () => {
    const bare = mergeRefreshResponse(stored, readTokenResponse({ access_token: 'a' }), receivedAt);
    assert.equal(bare.scopes, 'openid email');
    assert.equal(bare.tokenType, 'Bearer');
    const full = mergeRefreshResponse(
      stored,
      readTokenResponse({ access_token: 'a', scope: 'openid', token_type: 'bearer' }),
      receivedAt,
    );
    assert.equal(full.scopes, 'openid');
    assert.equal(full.tokenType, 'bearer');
  });
});
