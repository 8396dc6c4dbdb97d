import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as PinoLogger, PinoLogger as RootLogger } from 'nestjs-pino';
import { pino } from 'pino';
import { AppModule } from './app.module.js';
import { baseLogOptions, logDestination, logFormatOf } from './logging/log-format.js';
import { logRequests } from './logging/request-log.js';
import { EMBEDDED_EMULATOR_PATH, type AppConfig, type ConfigDraft } from './config/app-config.js';
import { withDevelopmentSecrets } from './config/development-secrets.js';
import { runMigrations, withDataSource } from './database/run-migrations.js';
import { verifyKeyringAgainstDatabase } from './tokens/key-rotation.js';
import { registerWithEmulator } from './google/emulator-registration.js';
import { refuseForeignOrigins } from './graphql/origin-check.js';
import { addSecurityHeaders } from './common/security-headers.js';
import { ConnectionDrainer } from './common/connection-drainer.js';
import { refuseWhile } from './common/refuse-while.js';
import { DatabaseFileWatch } from './database/database-file.watch.js';
import { serveLiveness } from './health/liveness.js';
import { registerWithEmbeddedEmulator } from './risc/embedded-registration.js';
import { RiscHttpLimits } from './risc/risc-http-limits.js';

const BODY_LIMIT_BYTES = 64 * 1024;
const PLUGIN_START_TIMEOUT_MS = 60_000;

/**
 * The signals that ask for a graceful stop. Never SIGBUS, SIGSEGV, SIGILL or SIGFPE: a handler for
 * a real fault returns to the faulting instruction, which faults again, forever, at 100% CPU.
 */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** A caller's `x-request-id` when it looks like one, so logs across services line up; else a new id. */
function requestId(request: { headers: IncomingMessage['headers'] }): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.-]{8,64}$/.test(given) ? given : randomUUID();
}

/** A hop count becomes the function Fastify applies to numbers: trust the first `hops` proxies. */
function trustProxyOption(
  trust: AppConfig['trustProxy'],
): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

export interface RunningApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** Where the app listens, e.g. http://127.0.0.1:3000. */
  url: string;
  close(): Promise<void>;
}

/** Migrates the database, builds the app (and the embedded emulator when configured) and listens. */
export async function startApp(draft: ConfigDraft): Promise<RunningApp> {
  const logger = pino(
    { ...baseLogOptions(draft), base: { context: 'Tokenkeep' } },
    logDestination(logFormatOf(draft)) ?? pino.destination(1),
  );
  const config = withDevelopmentSecrets(draft, (line) => logger.warn(line));
  // One connection before serving: migrate (under the advisory lock), then check the keyring fits the data.
  const applied = await withDataSource(
    config.database,
    1,
    async (dataSource) => {
      const names = await runMigrations(dataSource);
      await verifyKeyringAgainstDatabase(dataSource, config.tokenKeyring);
      return names;
    },
    {
      warn: (line) => logger.warn({ context: 'Database' }, line),
      debug: (line) => logger.debug({ context: 'Database' }, line),
    },
  );
  if (applied.length > 0) logger.info(`Applied migrations: ${applied.join(', ')}`);
  // Registered before listening, so the instance is never ready with a client the emulator does not know.
  if (config.google.mode === 'external-emulator') {
    await registerWithEmulator(config.google, { onWait: (line) => logger.warn(line) });
  }

  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    new FastifyAdapter({
      bodyLimit: BODY_LIMIT_BYTES,
      genReqId: requestId,
      trustProxy: trustProxyOption(config.trustProxy),
      // The embedded emulator makes its RSA keys at start: on a saturated machine that can take
      // longer than Fastify's default 10 s per plugin, which would fail the start.
      pluginTimeout: PLUGIN_START_TIMEOUT_MS,
    }),
    { bufferLogs: true, abortOnError: false },
  );
  app.useLogger(app.get(PinoLogger));
  logRequests(app.getHttpAdapter().getInstance(), RootLogger.root);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', (request, reply, payload, done) => {
      reply.header('x-request-id', request.id);
      done(null, payload);
    });
  await app.register(fastifyCookie);
  addSecurityHeaders(app.getHttpAdapter().getInstance());
  app.get(ConnectionDrainer).attach(app.getHttpAdapter().getInstance());
  app.get(RiscHttpLimits).attach(app.getHttpAdapter().getInstance());
  refuseForeignOrigins(app.getHttpAdapter().getInstance(), config.publicUrl);
  const databaseFile = app.get(DatabaseFileWatch);
  refuseWhile(app.getHttpAdapter().getInstance(), () => databaseFile.refusal, {
    title: 'Unavailable',
    message: 'The database file was deleted or replaced; an operator must restore it',
  });
  serveLiveness(app.getHttpAdapter().getInstance());
  if (config.google.mode === 'embedded-emulator') await mountEmbeddedEmulator(app, config);
  app.enableShutdownHooks([...STOP_SIGNALS]);
  await app.listen({ port: config.port, host: config.host });
  if (config.google.mode === 'embedded-emulator') {
    const problem = await registerWithEmbeddedEmulator(app.getHttpAdapter().getInstance(), config);
    if (problem) logger.warn(problem);
  }
  logger.info(describeGoogle(config));
  if (config.google.publishingStatus === 'testing') logger.warn(TESTING_STATUS_WARNING);

  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return { app, config, url: `http://${config.host}:${port}`, close: () => app.close() };
}

async function mountEmbeddedEmulator(
  app: NestFastifyApplication,
  config: AppConfig,
): Promise<void> {
  const { google } = config;
  // Loaded only here, so a start with real Google credentials never loads the emulator.
  const { googleEmulatorPlugin } = await import('@tokenkeep/google-emulator');
  await app.register(googleEmulatorPlugin, {
    prefix: EMBEDDED_EMULATOR_PATH,
    issuer: google.emulatorUrl!,
    accessTokenTtlSeconds: config.emulator.accessTokenTtlSeconds,
    clients: [
      {
        clientId: google.clientId,
        clientSecret: google.clientSecret,
        redirectUris: [google.callbackUrl],
        publishingStatus: google.publishingStatus,
      },
    ],
  });
}

const TESTING_STATUS_WARNING =
  "GOOGLE_APP_PUBLISHING_STATUS=testing: Google ends the refresh tokens of apps in Testing 7 days after they were issued (unless only openid, email and profile were granted), so users must sign in again weekly; tokenStatus shows each grant's predicted end. Publish the OAuth consent screen to keep grants alive.";

function describeGoogle(config: AppConfig): string {
  const where = `listening on ${config.publicUrl}`;
  switch (config.google.mode) {
    case 'embedded-emulator':
      return `${where}; no Google credentials set, so signing in uses the built-in Google emulator at ${config.google.emulatorUrl}`;
    case 'external-emulator':
      return `${where}; signing in uses the Google emulator at ${config.google.emulatorUrl}`;
    case 'google':
      return `${where}; signing in with Google as client ${config.google.clientId}`;
  }
}
