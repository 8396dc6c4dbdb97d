import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig, type AppConfig } from '../config/app-config.js';
import { GoogleApiError, GoogleErrorKind } from './google-api.error.js';
import { GoogleClient } from './google.client.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A Google that answers whatever the test says, on Google's paths. */
class MisbehavingGoogle {
  handlers = new Map<string, Handler>();
  /** For each response the server began: whether it was written to the end. */
  readonly finished: boolean[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const index = this.finished.push(false) - 1;
      response.on('finish', () => (this.finished[index] = true));
      const handler = this.handlers.get((request.url ?? '').split('?')[0]);
      request.resume();
      request.on('end', () => {
        if (handler) handler(request, response);
        else response.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  json(path: string, body: unknown, status = 200): void {
    this.handlers.set(path, (_, response) =>
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
    );
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A 5 MB JSON object sent in 64 KiB chunks, declaring its length or not. */
function hugeUserinfo(declareLength: boolean): Handler {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const chunks = 80;
  return (_, response) => {
    const prefix = Buffer.from('{"sub":"1","padding":"');
    const suffix = Buffer.from('"}');
    response.writeHead(200, {
      'content-type': 'application/json',
      ...(declareLength
        ? { 'content-length': String(prefix.length + chunk.length * chunks + suffix.length) }
        : {}),
    });
    response.write(prefix);
    let sent = 0;
    const more = () => {
      while (sent < chunks) {
        sent++;
        if (!response.write(chunk)) return void response.once('drain', more);
      }
      response.end(suffix);
    };
    more();
  };
}

async function failureOf(work: Promise<unknown>): Promise<GoogleApiError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof GoogleApiError) return error;
    throw error;
  }
  throw new Error('expected a GoogleApiError');
}

describe('GoogleClient against a Google that misbehaves', () => {
  const google = new MisbehavingGoogle();
  let client: GoogleClient;

  beforeAll(async () => {
    await google.start();
    const config = loadConfig({ GOOGLE_EMULATOR_URL: google.url }) as AppConfig;
    client = new GoogleClient(config);
  });

  afterAll(async () => {
    await client.onApplicationShutdown();
    await google.stop();
  });

  describe('token endpoint', () => {
    const refreshWith = async (answer: Record<string, unknown>) => {
      google.json('/token', answer);
      return client.refreshAccessToken('1//refresh');
    };

    it('reads a well-formed answer', async () => {
      expect(
        await refreshWith({
          access_token: 'ya29.a',
          expires_in: 3599,
          scope: 'openid email',
          token_type: 'Bearer',
        }),
      ).toEqual({
        accessToken: 'ya29.a',
        refreshToken: undefined,
        expiresInSeconds: 3599,
        expiresInAssumed: false,
        scope: 'openid email',
        tokenType: 'Bearer',
      });
    });

    it('refuses an answer without a usable access token, scope or token type', async () => {
      for (const answer of [
        { expires_in: 3599 },
        { access_token: '', expires_in: 3599 },
        { access_token: 42, expires_in: 3599 },
        { access_token: 'ya29.a', scope: { all: true } },
        { access_token: 'ya29.a', token_type: 'MAC' },
        { access_token: 'ya29.a', refresh_token: 12 },
      ]) {
        const error = await failureOf(refreshWith(answer));
        expect([error.kind, error.detail]).toEqual([
          GoogleErrorKind.BadResponse,
          expect.stringMatching(/^token response refused/),
        ]);
      }
    });

    it('reads a missing, negative, non-numeric or huge expires_in as a short assumed lifetime', async () => {
      for (const expiresIn of [undefined, -5, 0, 'soon', '12abc', { s: 1 }, 1e12, Infinity]) {
        const response = await refreshWith({ access_token: 'ya29.a', expires_in: expiresIn });
        expect([response.expiresInSeconds, response.expiresInAssumed]).toEqual([60, true]);
      }
      const asText = await refreshWith({ access_token: 'ya29.a', expires_in: '120' });
      expect([asText.expiresInSeconds, asText.expiresInAssumed]).toEqual([120, false]);
    });
  });

  describe('userinfo', () => {
    it('refuses an answer whose sub is missing, empty or not a string', async () => {
      for (const answer of [{ email: 'a@example.com' }, { sub: '' }, { sub: 104892 }]) {
        google.json('/v1/userinfo', answer);
        const error = await failureOf(client.userinfo('ya29.a'));
        expect([error.kind, error.detail]).toEqual([
          GoogleErrorKind.BadResponse,
          expect.stringMatching(/^userinfo refused \(sub:/),
        ]);
      }
    });

    it('reads the claims it knows, keeping their types', async () => {
      google.json('/v1/userinfo', {
        sub: '104892461539281739254',
        email: 'ada@example.com',
        email_verified: 'true',
        name: 'Ada',
        unexpected: { nested: true },
      });
      expect(await client.userinfo('ya29.a')).toEqual({
        sub: '104892461539281739254',
        email: 'ada@example.com',
        email_verified: true,
        name: 'Ada',
      });
    });

    it('refuses a 5 MB answer without reading it whole, whether it declares its length or not', async () => {
      for (const declareLength of [true, false]) {
        google.handlers.set('/v1/userinfo', hugeUserinfo(declareLength));
        const error = await failureOf(client.userinfo('ya29.a'));
        expect(error.kind).toBe(GoogleErrorKind.BadResponse);
        expect(error.detail).toMatch(/answered/);
        // the server never got to write the whole body
        expect(google.finished.at(-1)).toBe(false);
      }
    });
  });

  describe('tokeninfo', () => {
    it('refuses an audience that is missing or not a string, and any value that is not a scalar', async () => {
      for (const answer of [
        { scope: 'openid', exp: '1' },
        { aud: { id: 'x' }, scope: 'openid' },
        { aud: ['a', 'b'] },
        { aud: 'client', email: 'a@example.com', extra: { nested: 1 } },
      ]) {
        google.json('/tokeninfo', answer);
        const error = await failureOf(client.tokenInfo('ya29.a'));
        expect([error.kind, error.detail]).toEqual([
          GoogleErrorKind.BadResponse,
          expect.stringMatching(/^tokeninfo refused/),
        ]);
      }
    });

    it('reads every value as Google’s strings', async () => {
      google.json('/tokeninfo', { aud: 'client', expires_in: 3181, email_verified: true });
      expect(await client.tokenInfo('ya29.a')).toEqual({
        valid: true,
        fields: { aud: 'client', expires_in: '3181', email_verified: 'true' },
      });
    });
  });
});
