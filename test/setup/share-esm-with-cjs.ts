// Some CommonJS dependencies require() ESM-only packages (mercurius -> @fastify/static ->
// content-disposition; @nestjs/throttler and nestjs-pino -> @nestjs/common and @nestjs/core;
// light-my-request -> cookie). Node >= 20.19 handles that, Jest's own CommonJS loader does not
// (before Node 24.9). Importing them here and handing the same namespaces to the CommonJS side
// gives both sides one module instance. Re-check this list when a dependency changes.
import { jest } from '@jest/globals';

const ESM_ONLY_REQUIRED_FROM_CJS = [
  'content-disposition',
  'cookie',
  '@nestjs/common',
  '@nestjs/core',
] as const;

for (const name of ESM_ONLY_REQUIRED_FROM_CJS) {
  const namespace: unknown = await import(name);
  jest.mock(name, () => namespace);
}
