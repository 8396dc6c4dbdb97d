import { describe, expect, it } from '@jest/globals';
import type { DataSource, Repository } from 'typeorm';
import { loadConfig, type AppConfig } from '../config/app-config.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import { GrantFailureReason } from '../tokens/grant-failure-reason.js';
import { StoredTokenState, type OAuthTokenEntity } from '../tokens/oauth-token.entity.js';
import type { TokenStore } from '../tokens/token-store.service.js';
import type { UserEntity } from '../users/user.entity.js';
import type { GrantFinder } from './grant-finder.js';
import { RiscActions } from './risc-actions.js';
import { RISC_EVENT_URIS, type RiscEventName, type SecurityEvent } from './security-events.js';

const ISSUER = 'http://localhost:3000/__google';
const USER_ID = 'user-1';

/** Fakes for the store, sessions and users: a record of what was asked of them. */
function harness(options: { conflicts?: number; state?: StoredTokenState } = {}) {
  let conflictsLeft = options.conflicts ?? 0;
  const calls: string[] = [];
  const row = { id: 'row-1', userId: USER_ID, version: 1, state: options.state ?? 'ACTIVE' };
  const store = {
    findByUser: () => Promise.resolve(row as OAuthTokenEntity),
    markReauthRequired: (_row: OAuthTokenEntity, code: string, reason: GrantFailureReason) => {
      calls.push(`mark ${code} ${reason}`);
      return Promise.resolve(conflictsLeft-- <= 0);
    },
    forgetTokens: (_manager: unknown, _row: OAuthTokenEntity, detail: string) => {
      calls.push(`forget ${detail}`);
      return Promise.resolve(true);
    },
    recordEvent: (_user: string, type: string, code: string | null) => {
      calls.push(`event ${type} ${code}`);
      return Promise.resolve();
    },
  } as unknown as TokenStore;
  const sessions = {
    destroyAllOf: (userId: string) => {
      calls.push(`end sessions of ${userId}`);
      return Promise.resolve();
    },
  } as unknown as SessionsService;
  const users = {
    findOne: ({ where }: { where: { googleSub: string } }) =>
      Promise.resolve(where.googleSub === 'known' ? { id: USER_ID } : null),
  } as unknown as Repository<UserEntity>;
  const dataSource = {
    transaction: (work: (manager: unknown) => Promise<unknown>) => work({}),
  } as unknown as DataSource;
  const config = loadConfig({}) as AppConfig;
  const actions = new RiscActions(users, dataSource, store, sessions, {} as GrantFinder, config);
  return { actions, calls };
}

const event = (name: RiscEventName, sub = 'known', issuer = ISSUER): SecurityEvent => ({
  name,
  uri: RISC_EVENT_URIS[name],
  subject: { kind: 'account', issuer, sub },
  reason: name === 'account-disabled' ? 'hijacking' : null,
  state: null,
});

describe('RiscActions', () => {
  it.each(['tokens-revoked', 'token-revoked'] as const)(
    '%s about a user marks the grant REVOKED, reading it again after a conflicting write',
    async (name) => {
      const { actions, calls } = harness({ conflicts: 1 });
      expect(await actions.apply(event(name))).toBe('applied');
      expect(calls).toEqual([
        `event SECURITY_EVENT ${name}`,
        `mark risc:${name} REVOKED`,
        `mark risc:${name} REVOKED`,
      ]);
    },
  );

  it('leaves a grant whose tokens are already forgotten', async () => {
    const { actions, calls } = harness({ state: StoredTokenState.Revoked });
    expect(await actions.apply(event('tokens-revoked'))).toBe('applied');
    expect(calls).toEqual(['event SECURITY_EVENT tokens-revoked']);
  });

  it('account-disabled ends the sessions, then forgets the tokens with the reason', async () => {
    const { actions, calls } = harness();
    expect(await actions.apply(event('account-disabled'))).toBe('applied');
    expect(calls).toEqual([
      'event SECURITY_EVENT account-disabled',
      `end sessions of ${USER_ID}`,
      'forget Google reported account-disabled (reason: hijacking)',
    ]);
  });

  it.each([
    ['an unknown sub', event('sessions-revoked', 'stranger')],
    ['a sub from another issuer', event('sessions-revoked', 'known', 'https://evil.example')],
    ['no subject', { ...event('sessions-revoked'), subject: null }],
  ])('does nothing for %s', async (_what, unknown) => {
    const { actions, calls } = harness();
    expect(await actions.apply(unknown)).toBe('unknown_subject');
    expect(calls).toEqual([]);
  });

  it('acknowledges verification and ignores account-enabled and unknown types', async () => {
    const { actions, calls } = harness();
    expect(await actions.apply({ ...event('verification'), subject: null })).toBe('acknowledged');
    expect(await actions.apply(event('account-enabled'))).toBe('ignored');
    expect(await actions.apply({ ...event('account-enabled'), name: 'unsupported' })).toBe(
      'ignored',
    );
    expect(calls).toEqual([]);
  });
});
