import { runInNewContext } from 'node:vm';
import { describe, expect, it } from '@jest/globals';
import { isDatabaseUnavailable } from './database-errors.js';

describe('isDatabaseUnavailable', () => {
  it('knows a refused connection, a PostgreSQL shutdown and a locked SQLite file', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(
      true,
    );
    expect(isDatabaseUnavailable({ driverError: { code: '57P01' } })).toBe(true);
    expect(isDatabaseUnavailable(new Error('SqliteError: database is locked'))).toBe(true);
  });

  it('knows a SQLite file that is locked, read-only, failing or full, by its (extended) code', () => {
    for (const code of [
      'SQLITE_BUSY',
      'SQLITE_BUSY_SNAPSHOT',
      'SQLITE_READONLY',
      'SQLITE_READONLY_DBMOVED',
      'SQLITE_IOERR_WRITE',
      'SQLITE_CANTOPEN',
      'SQLITE_FULL',
    ]) {
      expect([code, isDatabaseUnavailable({ driverError: { code } })]).toEqual([code, true]);
    }
    expect(isDatabaseUnavailable({ driverError: { code: 'SQLITE_CONSTRAINT_UNIQUE' } })).toBe(
      false,
    );
    expect(isDatabaseUnavailable({ driverError: { code: 'SQLITE_ERROR' } })).toBe(false);
  });

  it('finds the cause behind a wrapping error', () => {
    const cause = Object.assign(new Error('connect'), { code: 'ECONNRESET' });
    expect(isDatabaseUnavailable(new Error('query failed', { cause }))).toBe(true);
  });

  it('classifies errors made in another realm (Node internals, vm contexts) the same way', () => {
    const foreign: unknown = runInNewContext(
      "Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })",
    );
    expect(foreign instanceof Object).toBe(false);
    expect(isDatabaseUnavailable(foreign)).toBe(true);
  });

  it('leaves bugs and constraint violations alone', () => {
    expect(isDatabaseUnavailable(new TypeError('undefined is not a function'))).toBe(false);
    expect(isDatabaseUnavailable({ code: '23505', message: 'duplicate key' })).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
  });
});
