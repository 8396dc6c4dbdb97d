import type { FastifyInstance } from 'fastify';
import { EMBEDDED_EMULATOR_PATH, type AppConfig } from '../config/app-config.js';
import { RISC_PATH } from './risc-http-limits.js';

/**
 * Returns null once registered, else a warning. With the embedded emulator, the app registers its own receiver there at start-up (what
 * `npm run risc:register` does with Google), so security events pushed through the emulator's
 * admin API reach POST /risc without a setup step.
 */
export async function registerWithEmbeddedEmulator(
  fastify: FastifyInstance,
  config: AppConfig,
): Promise<string | null> {
  const response = await fastify.inject({
    method: 'POST',
    url: `${EMBEDDED_EMULATOR_PATH}/__emulator/risc/receivers`,
    payload: { url: `${config.publicUrl}${RISC_PATH}`, client_id: config.google.clientId },
  });
  return response.statusCode === 201
    ? null
    : `The embedded emulator refused our RISC receiver (HTTP ${response.statusCode}): security events pushed through it will not reach POST /risc`;
}
