import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { SessionEntity } from '../sessions/session.entity.js';
import { OAuthTokenEntity, StoredTokenState } from '../tokens/oauth-token.entity.js';
import { UserEntity } from '../users/user.entity.js';
import { RawSelect } from './raw-select.js';
import { runMigrations, withDataSource } from './run-migrations.js';

/** A migrated in-memory SQLite database for one test. */
function withDatabase(work: (dataSource: DataSource) => Promise<void>): Promise<void> {
  return withDataSource({ type: 'sqlite', path: ':memory:' }, 1, async (dataSource) => {
    await runMigrations(dataSource);
    await work(dataSource);
  });
}

async function seed(dataSource: DataSource): Promise<void> {
  await dataSource.getRepository(UserEntity).insert({
    id: 'user-1',
    googleSub: 'sub-1',
    email: null,
    emailVerified: true,
    name: 'Ada',
    picture: null,
  });
  await dataSource.getRepository(SessionEntity).insert({
    idHash: 'parent-hash',
    userId: 'user-1',
    parentIdHash: null,
    expiresAt: new Date('2030-01-02T03:04:05.678Z'),
    lastSeenAt: new Date('2030-01-01T00:00:00.001Z'),
  });
  await dataSource.getRepository(OAuthTokenEntity).insert({
    id: 'token-1',
    userId: 'user-1',
    accessTokenCiphertext: 'v1:k:iv:ct:tag',
    refreshTokenCiphertext: null,
    keyId: 'k',
    scopes: 'openid email',
    expiresAt: new Date('2030-01-01T01:00:00.500Z'),
    lifetimeSeconds: 3599,
    state: StoredTokenState.Active,
    refreshLeaseExpiresAt: null,
  });
}

/** One row read through RawSelect, as the hot paths read it. */
async function readRaw<T extends object>(
  dataSource: DataSource,
  entity: new () => T,
  where: string,
  value: string,
): Promise<T | null> {
  const select = new RawSelect(dataSource, entity, 'x');
  const sql = `SELECT ${select.columns()} FROM ${select.from()} WHERE x.${where} = ${RawSelect.parameter(dataSource, 0)}`;
  const rows: Record<string, unknown>[] = await dataSource.query(sql, [value]);
  return rows[0] ? select.hydrate(rows[0]) : null;
}

describe('RawSelect', () => {
  it('hydrates users, sessions and token rows exactly as the repository does (dates, booleans, nulls)', () =>
    withDatabase(async (dataSource) => {
      await seed(dataSource);
      const cases = [
        [UserEntity, 'id', 'user-1'],
        [SessionEntity, 'id_hash', 'parent-hash'],
        [OAuthTokenEntity, 'id', 'token-1'],
      ] as const;
      for (const [entity, column, value] of cases) {
        const raw = await readRaw<object>(dataSource, entity, column, value);
        const viaRepository = await dataSource
          .getRepository<object>(entity)
          .findOneBy({ [column === 'id_hash' ? 'idHash' : 'id']: value });
        expect(raw).toBeInstanceOf(entity);
        expect(raw).toEqual(viaRepository);
      }
    }));

  it('gives null for the side of an outer join that found no row', () =>
    withDatabase(async (dataSource) => {
      await seed(dataSource);
      const session = new RawSelect(dataSource, SessionEntity, 's');
      const parent = new RawSelect(dataSource, SessionEntity, 'p');
      const rows: Record<string, unknown>[] = await dataSource.query(
        `SELECT ${session.columns()}, ${parent.columns()} FROM ${session.from()} LEFT JOIN ${parent.from()} ON p.id_hash = s.parent_id_hash`,
      );
      expect(session.hydrate(rows[0])?.idHash).toBe('parent-hash');
      expect(parent.hydrate(rows[0])).toBeNull();
    }));
});
