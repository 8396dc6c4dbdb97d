import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll } from '@jest/globals';
import type { TestBrowser } from './browser.js';
import { signIn } from './sign-in.js';
import { startTestApp, type TestApp } from './test-app.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/**
 * A loopback TCP proxy a test can cut and restore, to take a database away from the app and give
 * it back, or turn into a black hole, as a network partition does.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private swallowing = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<void> {
    this.server = createServer((client) => {
      this.track(client);
      if (this.swallowing) {
        client.resume();
        return;
      }
      const upstream = connect(this.targetPort, this.targetHost);
      this.track(upstream);
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : port;
  }

  /** Drops every open connection and refuses new ones. */
  async cut(): Promise<void> {
    this.swallowing = false;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
    this.server = undefined;
  }

  /**
   * A partition: open connections stay open but nothing more crosses in either direction, and new
   * connections are accepted and never answered. Only `cut` (or `stop`) ends it.
   */
  blackHole(): void {
    this.swallowing = true;
    for (const socket of this.sockets) {
      socket.unpipe();
      socket.removeAllListeners('data');
      socket.resume();
    }
  }

  /** Accepts connections again on the same port. */
  restore(): Promise<void> {
    return this.start(this.port);
  }

  stop(): Promise<void> {
    return this.cut();
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }
}

/** A PostgreSQL database and a proxy in front of it that a test can cut. */
export async function databaseBehindProxy(): Promise<{
  database: TestDatabase;
  proxy: TcpProxy;
  proxiedUrl: string;
}> {
  const database = await createTestDatabase('postgres');
  const target = new URL(database.url);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  await proxy.start();
  const proxied = new URL(database.url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  return { database, proxy, proxiedUrl: proxied.toString() };
}

/**
 * Gives a suite the app on a PostgreSQL database it reaches through a proxy the tests can cut, and
 * signs `browser` in: registers the `before` and `after` hooks; read the fields once `before` has run.
 */
export function withAppBehindDatabaseProxy(browser: TestBrowser): {
  database: TestDatabase;
  proxy: TcpProxy;
  app: TestApp;
} {
  const suite = {} as { database: TestDatabase; proxy: TcpProxy; app: TestApp };
  beforeAll(async () => {
    const { database, proxy, proxiedUrl } = await databaseBehindProxy();
    Object.assign(suite, { database, proxy });
    suite.app = await startTestApp({ ...database, url: proxiedUrl });
    await signIn(browser, suite.app.url);
  });
  afterAll(async () => {
    await suite.app?.stop();
    await suite.proxy?.stop();
    await suite.database?.drop();
  });
  return suite;
}
