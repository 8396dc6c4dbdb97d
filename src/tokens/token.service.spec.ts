import { describe, expect, it } from '@jest/globals';
import { AppError, AppErrorCode } from '../common/app-error.js';
import { GoogleApiError, GoogleErrorKind } from '../google/google-api.error.js';
import {
  appErrorOf,
  googleDown,
  refreshCorePerTest,
  tokenRow,
  USER,
} from './refresh.test-harness.js';

const refused = () => new GoogleApiError(GoogleErrorKind.InvalidToken, 'access token refused', 401);

describe('TokenService', () => {
  const start = refreshCorePerTest();

  describe('getValidAccessToken', () => {
    it('hands out a token that does not expire within the leeway without calling Google', async () => {
      const { service, google } = await start();
      expect(await service.getValidAccessToken(USER)).toBe('ya29.v1');
      expect(google.calls).toBe(0);
    });

    it('refreshes first a token that expires within the leeway', async () => {
      const { service, store, google } = await start();
      store.row = tokenRow({ expiresAt: new Date(Date.now() + 30_000) });
      expect(await service.getValidAccessToken(USER)).toBe('ya29.call-1');
      expect(google.calls).toBe(1);
    });

    it('caps the leeway at half the lifetime Google gave: a fresh 10 s token is fresh', async () => {
      const { service, store, google } = await start();
      store.row = tokenRow({ expiresAt: new Date(Date.now() + 9_000), lifetimeSeconds: 10 });
      expect(await service.getValidAccessToken(USER)).toBe('ya29.v1');
      store.row.expiresAt = new Date(Date.now() + 4_000);
      expect(await service.getValidAccessToken(USER)).toBe('ya29.call-1');
      expect(google.calls).toBe(1);
    });

    it('REAUTH_REQUIRED with the sign-in URL when no token is stored', async () => {
      const { service, store, config } = await start();
      store.row = null;
      const error = await appErrorOf(service.getValidAccessToken(USER));
      expect(error.code).toBe(AppErrorCode.ReauthRequired);
      expect(error.details.loginUrl).toBe(`${config.publicUrl}/auth/google`);
    });
  });

  describe('statusIfStored', () => {
    it('reports the stored token without calling Google, and null when none is stored', async () => {
      const { service, store, google } = await start();
      expect(await service.statusIfStored(USER)).toMatchObject({ expiresAt: store.row?.expiresAt });
      store.row = null;
      expect(await service.statusIfStored(USER)).toBeNull();
      expect(google.calls).toBe(0);
    });
  });

  describe('refresh (forced)', () => {
    it('refreshes a token that was never refreshed, then reports it as it is within the interval', async () => {
      const { service, google } = await start();
      const first = await service.refresh(USER);
      expect(first.refreshCount).toBe(1);
      const second = await service.refresh(USER);
      expect([second.refreshCount, second.lastRefreshedAt, second.expiresAt]).toEqual([
        first.refreshCount,
        first.lastRefreshedAt,
        first.expiresAt,
      ]);
      expect(google.calls).toBe(1);
    });

    it('refreshes again once the interval has passed, or when the token is no longer usable', async () => {
      const { service, store, google } = await start({ forcedMinIntervalMs: 30_000 });
      store.row = tokenRow({ lastRefreshedAt: new Date(Date.now() - 31_000), refreshCount: 1 });
      expect((await service.refresh(USER)).refreshCount).toBe(2);
      store.row.expiresAt = new Date(Date.now() - 1000);
      expect((await service.refresh(USER)).refreshCount).toBe(3);
      expect(google.calls).toBe(2);
    });

    it('concurrent forced refreshes share one call to Google', async () => {
      const { service, google } = await start();
      const statuses = await Promise.all(Array.from({ length: 15 }, () => service.refresh(USER)));
      expect(new Set(statuses.map((status) => status.refreshCount))).toEqual(new Set([1]));
      expect(google.calls).toBe(1);
    });

    it('UPSTREAM_UNAVAILABLE when Google could not give a newer token', async () => {
      const { service, google } = await start();
      google.outcomes.push(googleDown());
      const error = await appErrorOf(service.refresh(USER));
      expect(error.code).toBe(AppErrorCode.UpstreamUnavailable);
      expect(error.details.retryable).toBe(true);
    });
  });

  describe('scopeRequestUrl', () => {
    it('BAD_USER_INPUT for no scope or one outside the allow-list', async () => {
      const { service } = await start();
      for (const scopes of [[], ['https://mail.google.com/']]) {
        let error: unknown;
        try {
          service.scopeRequestUrl(scopes);
        } catch (thrown) {
          error = thrown;
        }
        expect((error as AppError).code).toBe(AppErrorCode.BadUserInput);
      }
      expect(service.scopeRequestUrl(['email'])).toMatch(/\/auth\/google\?scope=https/);
    });
  });

  describe('withAccessToken', () => {
    it('INSUFFICIENT_SCOPE with the missing scopes and a URL asking for them, before any call', async () => {
      const drive = 'https://www.googleapis.com/auth/drive.readonly';
      const { service, store, google, config } = await start();
      store.row = tokenRow({ scopes: 'openid https://www.googleapis.com/auth/userinfo.email' });
      let called = false;
      const error = await appErrorOf(
        service.withAccessToken(USER, () => Promise.resolve((called = true)), {
          scopes: ['email', drive],
        }),
      );
      expect(error.code).toBe(AppErrorCode.InsufficientScope);
      expect(error.details.missingScopes).toEqual([drive]);
      expect(error.details.loginUrl).toBe(
        `${config.publicUrl}/auth/google?scope=${encodeURIComponent(drive)}`,
      );
      expect(called).toBe(false);
      expect(google.calls).toBe(0);
    });

    it('calls with the token when every scope needed was granted (short names match full ones)', async () => {
      const { service } = await start();
      const token = await service.withAccessToken(
        USER,
        (accessToken) => Promise.resolve(accessToken),
        {
          scopes: ['openid', 'https://www.googleapis.com/auth/userinfo.email'],
        },
      );
      expect(token).toBe('ya29.v1');
    });

    it('a 401 from Google refreshes once and retries once with the new token', async () => {
      const { service, google } = await start();
      const used: string[] = [];
      const result = await service.withAccessToken(USER, (token) => {
        used.push(token);
        return used.length === 1 ? Promise.reject(refused()) : Promise.resolve('ok');
      });
      expect(result).toBe('ok');
      expect(used).toEqual(['ya29.v1', 'ya29.call-1']);
      expect(google.calls).toBe(1);
    });

    it('a 401 on a token another caller has replaced meanwhile retries with theirs, no refresh', async () => {
      const { service, store, google } = await start();
      const used: string[] = [];
      await service.withAccessToken(USER, (token) => {
        used.push(token);
        if (used.length > 1) return Promise.resolve('ok');
        store.row = tokenRow({ version: 2, accessTokenCiphertext: 'ya29.replaced' });
        return Promise.reject(refused());
      });
      expect(used).toEqual(['ya29.v1', 'ya29.replaced']);
      expect(google.calls).toBe(0);
    });

    it('maps what Google did to codes a client can act on', async () => {
      const { service } = await start();
      const down = await appErrorOf(
        service.withAccessToken(USER, () => Promise.reject(googleDown())),
      );
      expect(down.code).toBe(AppErrorCode.UpstreamUnavailable);
      const twice = await appErrorOf(
        service.withAccessToken(USER, () => Promise.reject(refused())),
      );
      expect(twice.code).toBe(AppErrorCode.UpstreamUnavailable);
      const odd = new GoogleApiError(GoogleErrorKind.BadResponse, 'HTTP 400 weird', 400);
      const bad = await appErrorOf(service.withAccessToken(USER, () => Promise.reject(odd)));
      expect(bad.code).toBe(AppErrorCode.UpstreamUnavailable);
      expect(bad.message).not.toMatch(/weird/);
    });
  });
});
