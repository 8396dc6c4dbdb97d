import type { FastifyInstance } from 'fastify';
import { AppErrorCode } from './app-error.js';
import { sendErrorAnswer } from './error-page.js';

/** Paths that keep answering whatever happens: probes and monitoring must see the state. */
const ALWAYS_SERVED = /^\/(health|metrics)(\/|\?|$)/;

/**
 * Answers every request but health and metrics with a 503 while `reason()` gives one: the app
 * is up, but serving would do harm (see DatabaseFileWatch).
 */
export function refuseWhile(
  fastify: FastifyInstance,
  reason: () => string | undefined,
  shownAs: { title: string; message: string },
): void {
  // Callback style: most requests pass, without the promise an async hook costs each of them.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (reason() === undefined || ALWAYS_SERVED.test(request.url)) return done();
    sendErrorAnswer(request, reply, {
      status: 503,
      code: AppErrorCode.UpstreamUnavailable,
      ...shownAs,
    });
  });
}
