import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { startStandaloneEmulator, type StandaloneEmulator } from '@tokenkeep/google-emulator';
import { freePort } from './test-app.js';

/** Changes a JSON answer of the emulator (path without query, its parsed body) before the app sees it. */
export type AnswerRewrite = (
  path: string,
  json: Record<string, unknown>,
) => Record<string, unknown> | Promise<Record<string, unknown>>;

/**
 * A Google that lies about what it answers: a loopback proxy in front of the emulator that lets a
 * test rewrite its JSON answers, or answer a path itself (for a body no emulator would send).
 * Start the emulator with this proxy's URL as its public URL, so its issuer names the proxy.
 */
export class RewritingProvider {
  rewrite: AnswerRewrite | undefined;
  /** Paths answered here instead of by the emulator. */
  readonly answers = new Map<string, (response: ServerResponse) => void>();
  private server!: Server;

  constructor(
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((incoming, outgoing) => {
      const path = (incoming.url ?? '').split('?')[0];
      const own = this.answers.get(path);
      if (own) {
        incoming.resume();
        own(outgoing);
        return;
      }
      void this.forward(incoming).then(async ({ status, headers, body }) => {
        const rewritten = await this.rewritten(path, headers['content-type'], body);
        if (rewritten !== body) delete headers['content-length'];
        outgoing.writeHead(status, headers).end(rewritten);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async rewritten(path: string, contentType: unknown, body: string): Promise<string> {
    if (!this.rewrite || !String(contentType).includes('json')) return body;
    return JSON.stringify(await this.rewrite(path, JSON.parse(body) as Record<string, unknown>));
  }

  private forward(incoming: IncomingMessage): Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
  }> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const upstream = request(
          {
            host: '127.0.0.1',
            port: this.targetPort,
            method: incoming.method,
            path: incoming.url,
            headers: incoming.headers,
          },
          (response) => {
            const body: Buffer[] = [];
            response.on('data', (chunk: Buffer) => body.push(chunk));
            response.on('end', () =>
              resolve({
                status: response.statusCode ?? 502,
                headers: { ...response.headers },
                body: Buffer.concat(body).toString('utf8'),
              }),
            );
          },
        );
        upstream.on('error', reject);
        upstream.end(Buffer.concat(chunks));
      });
    });
  }
}

/**
 * A standalone emulator behind a RewritingProvider: the emulator names the provider as its issuer
 * and endpoints, so an app that follows its discovery talks only to the provider.
 */
export async function startEmulatorBehindProvider(): Promise<{
  emulator: StandaloneEmulator;
  provider: RewritingProvider;
}> {
  const port = await freePort();
  const emulator = await startStandaloneEmulator({
    host: '127.0.0.1',
    port: 0,
    publicUrl: `http://127.0.0.1:${port}`,
    accessTokenTtlSeconds: 3600,
  });
  const provider = new RewritingProvider(port, emulator.port);
  await provider.start();
  return { emulator, provider };
}
