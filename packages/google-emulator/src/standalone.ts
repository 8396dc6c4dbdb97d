import { realpathSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import {
  EmulatorConfigError,
  loadEmulatorConfig,
  type StandaloneEmulatorConfig,
} from './config.js';
import { googleEmulatorPlugin } from './google-emulator.plugin.js';

export interface StandaloneEmulator {
  /** The issuer and base URL, with the real port when port 0 was asked for. */
  url: string;
  /** The port it listens on (differs from the URL's when EMULATOR_PUBLIC_URL names a proxy). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves the emulator alone. The socket is bound before the plugin is built, because the
 * issuer (and every URL in the discovery document) must carry the real port when port is 0.
 */
export async function startStandaloneEmulator(
  config: StandaloneEmulatorConfig,
): Promise<StandaloneEmulator> {
  const server = createServer();
  await listen(server, config.port, config.host);
  const url = publicUrl(config, (server.address() as AddressInfo).port);
  const app = Fastify({
    serverFactory: (handler) => server.on('request', handler),
  });
  await app.register(googleEmulatorPlugin, {
    prefix: new URL(url).pathname.replace(/\/+$/, ''),
    issuer: url,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    tokenMarker: config.tokenMarker,
  });
  await app.ready();
  return {
    url,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The configured public URL, with port 0 replaced by the port actually bound. */
function publicUrl(config: StandaloneEmulatorConfig, boundPort: number): string {
  const url = new URL(config.publicUrl);
  if (url.port === '0') url.port = String(boundPort);
  return url.toString().replace(/\/+$/, '');
}

async function main(): Promise<void> {
  let config: StandaloneEmulatorConfig;
  try {
    config = loadEmulatorConfig(process.env);
  } catch (error) {
    if (!(error instanceof EmulatorConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const emulator = await startStandaloneEmulator(config).catch((error: unknown) => {
    console.error(`Google emulator could not start: ${(error as Error).message}`);
    process.exit(1);
  });
  console.log(
    `Google emulator listening on ${emulator.url} (access tokens live ${config.accessTokenTtlSeconds} s)`,
  );
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function isMainModule(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href;
}

if (isMainModule()) await main();
