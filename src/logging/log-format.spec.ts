import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { QueryFailedError } from 'typeorm';
import { baseLogOptions, chooseLogFormat, prettyMessage } from './log-format.js';

describe('chooseLogFormat', () => {
  it('is pretty only in development with stdout a terminal, JSON everywhere else', () => {
    expect(chooseLogFormat('development', true)).toBe('pretty');
    expect(chooseLogFormat('development', false)).toBe('json');
    expect(chooseLogFormat('test', true)).toBe('json');
    expect(chooseLogFormat('production', true)).toBe('json');
    expect(chooseLogFormat('production', false)).toBe('json');
  });
});

describe('prettyMessage', () => {
  it('puts the context before the message', () => {
    expect(prettyMessage({ context: 'NestApplication', msg: 'started' }, 'msg')).toBe(
      '[NestApplication] started',
    );
    expect(prettyMessage({ msg: 'no context' }, 'msg')).toBe('no context');
  });

  it('says what a finished request was, what it answered and how long it took', () => {
    const log = {
      msg: 'request completed',
      req: { id: 'r1', method: 'GET', url: '/health/ready' },
      res: { statusCode: 200 },
      responseTime: 3,
    };
    expect(prettyMessage(log, 'msg')).toBe('GET /health/ready → 200 in 3 ms');
  });
});

describe('baseLogOptions', () => {
  it("keeps a failed query's parameters out of a logged error", () => {
    const lines: string[] = [];
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = pino(baseLogOptions({ logLevel: 'info' }), capture);
    const error = new QueryFailedError(
      'INSERT INTO "users"("email") VALUES (?)',
      ['canary-7f3a@example.com'],
      Object.assign(new Error('UNIQUE constraint failed'), {
        detail: 'Key (email)=(canary-7f3a@example.com) already exists.',
      }),
    );
    logger.error({ err: error }, 'sign-in failed');
    expect(lines.join('')).toContain('INSERT INTO');
    expect(lines.join('')).not.toContain('canary-7f3a');
  });
});
