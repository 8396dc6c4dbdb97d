import { EventEmitter, once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import Fastify from 'fastify';
import { pino } from 'pino';
import { baseLogOptions } from './log-format.js';
import { logRequests } from './request-log.js';

const SECRET = 'canary-5be1';

/**
 * A Fastify app whose request lines (and any other log line) land in `lines`, parsed; `events`
 * hears `line` for each and `slow` when a request to /slow arrives.
 */
async function appLoggingTo(
  lines: Array<Record<string, unknown>>,
  events: EventEmitter = new EventEmitter(),
) {
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      events.emit('line');
      done();
    },
  });
  const logger = pino(baseLogOptions({ logLevel: 'info' }), capture);
  const fastify = Fastify();
  logRequests(fastify, logger);
  fastify.get('/page', (_request, reply) => reply.send('page'));
  fastify.get('/broken', (_request, reply) => reply.code(502).send('upstream down'));
  // Answers only once the client has gone.
  fastify.get('/slow', (request, reply) => {
    request.raw.once('close', () => void reply.send('too late'));
    events.emit('slow');
  });
  await fastify.ready();
  return { fastify, logger };
}

describe('logRequests', () => {
  it('writes one line per request with its id, method, URL, status and time', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const { fastify } = await appLoggingTo(lines);
    const answer = await fastify.inject({ url: '/page?view=full' });
    expect(answer.statusCode).toBe(200);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        req: { id: 'req-1', method: 'GET', url: '/page?view=full' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
        msg: 'request completed',
      }),
    ]);
    await fastify.close();
  });

  it('says a 5xx errored, and a 404 completed', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const { fastify } = await appLoggingTo(lines);
    await fastify.inject({ url: '/broken' });
    await fastify.inject({ url: '/nope' });
    expect(lines.map(({ msg, res }) => [msg, res])).toEqual([
      ['request errored', { statusCode: 502 }],
      ['request completed', { statusCode: 404 }],
    ]);
    expect(lines[0].err).toEqual(
      expect.objectContaining({ message: 'failed with status code 502' }),
    );
    await fastify.close();
  });

  it('carries no secret of the request, and leaves the redaction of other lines on', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const { fastify, logger } = await appLoggingTo(lines);
    await fastify.inject({
      url: `/page?code=${SECRET}&state=${SECRET}&access_token=${SECRET}`,
      headers: { cookie: `sid=${SECRET}`, authorization: `Bearer ${SECRET}` },
    });
    logger.info({ grant: { refreshToken: SECRET } }, 'not a request line');
    logger.info({ refreshToken: SECRET, access_token: SECRET }, 'secrets at the top');
    expect(lines).toHaveLength(3);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
    expect(lines[0].req).toEqual(
      expect.objectContaining({
        url: '/page?code=%5Bredacted%5D&state=%5Bredacted%5D&access_token=%5Bredacted%5D',
      }),
    );
    expect(lines[1].grant).toEqual({ refreshToken: '[redacted]' });
    expect([lines[2].refreshToken, lines[2].access_token]).toEqual(['[redacted]', '[redacted]']);
    await fastify.close();
  });

  it('says a request was aborted when the client left before the answer', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const events = new EventEmitter();
    const { fastify } = await appLoggingTo(lines, events);
    const url = await fastify.listen({ host: '127.0.0.1', port: 0 });
    const client = httpRequest(`${url}/slow`);
    client.on('error', () => undefined);
    const arrived = once(events, 'slow');
    client.end();
    await arrived;
    const logged = once(events, 'line');
    client.destroy();
    await logged;
    expect(lines).toEqual([
      expect.objectContaining({
        req: expect.objectContaining({ url: '/slow' }),
        msg: 'request aborted',
      }),
    ]);
    await fastify.close();
  });
});
