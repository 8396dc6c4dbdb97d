import { describe, expect, it } from '@jest/globals';
import { AppError, AppErrorCode } from '../common/app-error.js';
import { GoogleApiError, GoogleErrorKind } from '../google/google-api.error.js';
import { GrantFailureReason } from './grant-failure-reason.js';
import { StoredTokenState } from './oauth-token.entity.js';
import {
  appErrorOf,
  databaseDown,
  eventually,
  googleDown,
  invalidGrant,
  heldRefresh,
  refreshCorePerTest,
  tokenRow,
  USER,
} from './refresh.test-harness.js';
import type { RefreshNeed } from './refresh-need.js';

const LEEWAY: RefreshNeed = { kind: 'not-expiring', leewayMs: 60_000 };
const expired = () => new Date(Date.now() - 1000);

async function codeOf(work: Promise<unknown>): Promise<AppErrorCode | 'no error'> {
  try {
    await work;
    return 'no error';
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

function reauthRapt(): GoogleApiError {
  return new GoogleApiError(
    GoogleErrorKind.InvalidGrant,
    'reauth related error (invalid_rapt)',
    400,
    'invalid_grant',
    'invalid_rapt',
  );
}

describe('TokenRefresher', () => {
  const start = refreshCorePerTest();

  describe('one refresh per expiry', () => {
    it('50 concurrent callers of an expired token make one call to Google and all get its row', async () => {
      const { refresher, store, google } = await start();
      store.row = tokenRow({ expiresAt: expired() });
      const rows = await Promise.all(
        Array.from({ length: 50 }, () => refresher.refresh(USER, LEEWAY)),
      );
      expect(google.calls).toBe(1);
      expect(new Set(rows.map((row) => row.accessTokenCiphertext))).toEqual(
        new Set(['ya29.call-1']),
      );
      expect(store.row?.version).toBe(2);
    });

    it('a token fresh from Google counts as fresh even when it lives shorter than the leeway', async () => {
      const core = await start();
      const { refresher, google } = core;
      google.lifetimeSeconds = 10;
      const { flight, release } = await heldRefresh(core, LEEWAY);
      const joiners = Array.from({ length: 10 }, () => refresher.refresh(USER, LEEWAY));
      release();
      await Promise.all([flight, ...joiners]);
      // and afterwards, one by one
      for (let call = 0; call < 10; call++) await refresher.refresh(USER, LEEWAY);
      expect(google.calls).toBe(1);
    });

    it('a joiner whose need the flight cannot meet starts one more refresh; one it meets does not', async () => {
      const core = await start();
      const { refresher, google } = core;
      const { flight, release } = await heldRefresh(core, LEEWAY);
      // Google refused version 2 to this caller: it needs newer than what the flight brings.
      const stronger = refresher.refresh(USER, { kind: 'newer-than', version: 2 });
      const satisfied = refresher.refresh(USER, { kind: 'newer-than', version: 1 });
      release();
      expect((await flight).version).toBe(2);
      expect((await satisfied).version).toBe(2);
      expect((await stronger).version).toBe(3);
      expect(google.calls).toBe(2);
    });
  });

  describe('the lease', () => {
    it('while another instance holds it, waits for that instance to write, without calling Google', async () => {
      const { refresher, store, google } = await start();
      store.row = tokenRow({
        expiresAt: expired(),
        refreshLeaseOwner: 'other-instance',
        refreshLeaseExpiresAt: new Date(Date.now() + 10_000),
      });
      const waiting = refresher.refresh(USER, LEEWAY);
      setTimeout(() => {
        store.row = tokenRow({ version: 2, accessTokenCiphertext: 'ya29.from-other' });
      }, 100);
      expect((await waiting).accessTokenCiphertext).toBe('ya29.from-other');
      expect(google.calls).toBe(0);
    });

    it('lost to another writer while Google answered: the other writer’s row is returned', async () => {
      const core = await start();
      const { flight, release } = await heldRefresh(core, LEEWAY);
      core.store.signInAgain();
      release();
      expect((await flight).accessTokenCiphertext).toBe('ya29.signed-in-again');
    });

    it('an expired lease is taken over; invalid_grant right after is unconfirmed, a second one marks the grant dead', async () => {
      const { refresher, store, google } = await start({ failureCooldownMs: 0 });
      store.row = tokenRow({
        expiresAt: expired(),
        refreshLeaseOwner: 'crashed-instance',
        refreshLeaseExpiresAt: expired(),
      });
      google.outcomes.push(invalidGrant(), invalidGrant());
      expect(await codeOf(refresher.refresh(USER, LEEWAY))).toBe(AppErrorCode.UpstreamUnavailable);
      expect(store.row?.state).toBe(StoredTokenState.Active);
      expect(store.events.map((event) => [event.type, event.code])).toEqual([
        ['REFRESH_FAILED', 'invalid_grant'],
      ]);
      expect(await codeOf(refresher.refresh(USER, LEEWAY))).toBe(AppErrorCode.ReauthRequired);
      expect(store.row?.state).toBe(StoredTokenState.ReauthRequired);
      expect(google.calls).toBe(2);
    });
  });

  describe('failures at Google', () => {
    it('cooldown: no call to Google until it ends; a valid token is served, an expired one is UPSTREAM_UNAVAILABLE', async () => {
      const { refresher, store, google } = await start({ failureCooldownMs: 60_000 });
      const stillValid = new Date(Date.now() + 30_000);
      store.row = tokenRow({ expiresAt: stillValid });
      google.outcomes.push(googleDown());
      expect((await refresher.refresh(USER, LEEWAY)).expiresAt).toEqual(stillValid);
      expect(store.row?.refreshCooldownUntil?.getTime()).toBeGreaterThan(Date.now());
      expect((await refresher.refresh(USER, LEEWAY)).expiresAt).toEqual(stillValid);
      store.row.expiresAt = expired();
      expect(await codeOf(refresher.refresh(USER, LEEWAY))).toBe(AppErrorCode.UpstreamUnavailable);
      expect(google.calls).toBe(1);
    });

    it('invalid_grant: REAUTH_REQUIRED, recorded once, and no further call to Google', async () => {
      const { refresher, store, google } = await start();
      store.row = tokenRow({ expiresAt: expired() });
      google.outcomes.push(invalidGrant());
      expect(await codeOf(refresher.refresh(USER, LEEWAY))).toBe(AppErrorCode.ReauthRequired);
      expect(await codeOf(refresher.refresh(USER, LEEWAY))).toBe(AppErrorCode.ReauthRequired);
      expect(store.events.map((event) => event.type)).toEqual(['REAUTH_REQUIRED']);
      expect(google.calls).toBe(1);
    });

    it('invalid_grant racing a new sign-in that landed first: the new grant is returned', async () => {
      const core = await start();
      const { store, google } = core;
      google.outcomes.push(invalidGrant());
      const { flight, release } = await heldRefresh(core, LEEWAY);
      store.signInAgain();
      release();
      expect((await flight).accessTokenCiphertext).toBe('ya29.signed-in-again');
      expect(store.events).toEqual([]);
    });

    it('invalid_grant racing a new sign-in that lands while the grant is being marked: the new grant is returned', async () => {
      const { refresher, store, google } = await start();
      store.row = tokenRow({ expiresAt: expired() });
      google.outcomes.push(invalidGrant());
      store.beforeMarkReauth = () => store.signInAgain();
      expect((await refresher.refresh(USER, LEEWAY)).accessTokenCiphertext).toBe(
        'ya29.signed-in-again',
      );
      expect(store.row?.state).toBe(StoredTokenState.Active);
    });
  });

  describe('why a grant died', () => {
    it('invalid_rapt: REAUTH_POLICY on the row, the event and the error, without asking userinfo', async () => {
      const { refresher, store, google } = await start();
      store.row = tokenRow();
      google.outcomes.push(reauthRapt());
      const error = await appErrorOf(refresher.refresh(USER, { kind: 'newer-than', version: 1 }));
      expect(error.code).toBe(AppErrorCode.ReauthRequired);
      expect(error.details.reason).toBe(GrantFailureReason.ReauthPolicy);
      expect(store.row?.failureReason).toBe(GrantFailureReason.ReauthPolicy);
      expect(store.events).toEqual([
        expect.objectContaining({ type: 'REAUTH_REQUIRED', reason: 'REAUTH_POLICY' }),
      ]);
      expect(google.userinfoTokens).toEqual([]);
      // later callers read the reason from the row
      const later = await appErrorOf(refresher.refresh(USER, LEEWAY));
      expect(later.details.reason).toBe(GrantFailureReason.ReauthPolicy);
    });

    it.each([
      [true, GrantFailureReason.Evicted],
      [false, GrantFailureReason.Revoked],
    ])(
      'expired or revoked while the access token should live: userinfo accepting it=%s means %s',
      async (accepted, reason) => {
        const { refresher, store, google } = await start();
        store.row = tokenRow();
        google.accessTokenAccepted = accepted;
        google.outcomes.push(invalidGrant());
        const error = await appErrorOf(refresher.refresh(USER, { kind: 'newer-than', version: 1 }));
        expect(error.details.reason).toBe(reason);
        expect(store.row?.failureReason).toBe(reason);
        expect(google.userinfoTokens).toEqual(['ya29.v1']);
      },
    );

    it('expired or revoked with an expired access token: UNKNOWN, userinfo not asked', async () => {
      const { refresher, store, google } = await start();
      store.row = tokenRow({ expiresAt: expired() });
      google.outcomes.push(invalidGrant());
      const error = await appErrorOf(refresher.refresh(USER, LEEWAY));
      expect(error.details.reason).toBe(GrantFailureReason.Unknown);
      expect(google.userinfoTokens).toEqual([]);
    });

    it('invalid_client: the grant stays ACTIVE; UPSTREAM_UNAVAILABLE says CLIENT_MISCONFIGURED, during the cooldown too', async () => {
      const { refresher, store, google } = await start({ failureCooldownMs: 60_000 });
      store.row = tokenRow({ expiresAt: expired() });
      google.outcomes.push(
        new GoogleApiError(GoogleErrorKind.InvalidClient, 'Unauthorized', 401, 'invalid_client'),
      );
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await appErrorOf(refresher.refresh(USER, LEEWAY));
        expect(error.code).toBe(AppErrorCode.UpstreamUnavailable);
        expect(error.details.reason).toBe(GrantFailureReason.ClientMisconfigured);
      }
      expect(store.row?.state).toBe(StoredTokenState.Active);
      expect(store.row?.failureReason).toBe(null);
      expect(store.events).toEqual([
        expect.objectContaining({ type: 'REFRESH_FAILED', reason: 'CLIENT_MISCONFIGURED' }),
      ]);
      expect(google.calls).toBe(1);
    });
  });

  describe('saving what Google answered', () => {
    it('retries the write after database failures, with one call to Google', async () => {
      const { refresher, store, google } = await start();
      store.row = tokenRow({ expiresAt: expired() });
      store.saveFailures.push(databaseDown(), databaseDown());
      const row = await refresher.refresh(USER, LEEWAY);
      expect(row.accessTokenCiphertext).toBe('ya29.call-1');
      expect(store.saveAttempts).toBe(3);
      expect(store.row?.accessTokenCiphertext).toBe('ya29.call-1');
      expect(google.calls).toBe(1);
    });

    it('spools a new refresh token before the database write and frees the spool once it is stored', async () => {
      const { refresher, store, google, spool } = await start();
      store.row = tokenRow({ expiresAt: expired() });
      google.outcomes.push({ refreshToken: '1//rotated' });
      store.saveFailures.push(databaseDown());
      let spooledBeforeWrite = false;
      const save = store.saveRefresh.bind(store);
      store.saveRefresh = (...args) => {
        spooledBeforeWrite ||= [...spool.held.values()].some(
          (entry) => entry.refreshed.refreshTokenCiphertext === '1//rotated',
        );
        return save(...args);
      };
      await refresher.refresh(USER, LEEWAY);
      expect(spooledBeforeWrite).toBe(true);
      expect(spool.held.size).toBe(0);
      expect(store.row?.refreshTokenCiphertext).toBe('1//rotated');
      expect(store.events.map((event) => event.detail)).toEqual(['refresh token rotated']);
    });

    it('the database away past the lease: the row is served from memory, never refreshed again here, and stored once the database is back', async () => {
      const { refresher, store, google, spool, saver } = await start({ leaseMs: 300 });
      store.row = tokenRow({ expiresAt: expired() });
      google.outcomes.push({ refreshToken: '1//rotated' });
      store.saveFailures.push(...Array.from({ length: 100 }, databaseDown));
      const served = await refresher.refresh(USER, LEEWAY);
      expect(served.refreshTokenCiphertext).toBe('1//rotated');
      expect(store.row?.version).toBe(1);
      expect(spool.held.size).toBe(1);
      // Asked again, even with a need that would call for a refresh, this instance does not
      // call Google with the replaced token it still has in the database.
      expect((await refresher.refresh(USER, LEEWAY)).refreshTokenCiphertext).toBe('1//rotated');
      expect(
        await codeOf(refresher.refresh(USER, { kind: 'newer-than', version: served.version })),
      ).toBe(AppErrorCode.UpstreamUnavailable);
      expect(await refresher.refreshIfFree(USER, LEEWAY)).toBe('skipped');
      expect(google.calls).toBe(1);

      store.saveFailures.length = 0;
      await eventually(() => store.row?.version === 2);
      expect(store.row?.refreshTokenCiphertext).toBe('1//rotated');
      expect(spool.held.size).toBe(0);
      expect(saver.unsavedFor(USER)).toBe(undefined);
    });

    it('start-up writes what the spool holds over the version it was computed from', async () => {
      const { store, saver, spool } = await start();
      const base = tokenRow();
      const refreshed = { ...base, refreshTokenCiphertext: '1//spooled', version: 2 };
      await spool.write({ baseVersion: 1, refreshed });
      store.row = {
        ...base,
        state: StoredTokenState.ReauthRequired,
        version: 2,
        lastErrorCode: 'invalid_grant',
      };
      await saver.onApplicationBootstrap();
      expect(store.row).toEqual(
        expect.objectContaining({
          refreshTokenCiphertext: '1//spooled',
          state: StoredTokenState.Active,
          version: 3,
        }),
      );
      expect(spool.held.size).toBe(0);
    });
  });
});
