import { realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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
 * Requests that arrive in between wait until Fastify is ready: handing them to Fastify earlier
 * crashes it (its hooks are not set up yet).
 */
export async function startStandaloneEmulator(
  config: StandaloneEmulatorConfig,
): Promise<StandaloneEmulator> {
  const server = createServer();
  const early = new EarlyRequests(server);
  await listen(server, config.port, config.host);
  const url = publicUrl(config, (server.address() as AddressInfo).port);
  let handler: RequestHandler | undefined;
  const app = Fastify({
    // Making the RSA keys can outlast Fastify's default 10 s per plugin on a saturated machine.
    pluginTimeout: 60_000,
    serverFactory: (fastifyHandler) => {
      handler = fastifyHandler;
      return server;
    },
  });
  try {
    await app.register(googleEmulatorPlugin, {
      prefix: new URL(url).pathname.replace(/\/+$/, ''),
      issuer: url,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      tokenMarker: config.tokenMarker,
    });
    await app.ready();
  } catch (error) {
    early.refuse();
    server.closeAllConnections();
    server.close();
    throw error;
  }
  early.handOver(handler!);
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

type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** Holds the requests a server receives before its real handler exists, then hands them over. */
class EarlyRequests {
  private readonly waiting: [IncomingMessage, ServerResponse][] = [];
  private readonly hold: RequestHandler = (request, response) => {
    this.waiting.push([request, response]);
  };

  constructor(private readonly server: Server) {
    server.on('request', this.hold);
  }

  handOver(handler: RequestHandler): void {
    this.server.off('request', this.hold).on('request', handler);
    for (const [request, response] of this.waiting.splice(0)) handler(request, response);
  }

  refuse(): void {
    this.server.off('request', this.hold);
    for (const [, response] of this.waiting.splice(0)) {
      response.writeHead(503, { 'content-type': 'text/plain', connection: 'close' });
      response.end('The Google emulator could not start.');
    }
  }
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
