import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  decodeJwt,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';

export type IdTokenTamper = (claims: JWTPayload) => {
  claims: JWTPayload;
  signing: 'proxy-key' | 'foreign-key' | 'none';
};

const KID = 'b'.repeat(40);

/**
 * A hostile Google for sign-in tests: a loopback proxy in front of the emulator that re-signs
 * every ID token from the token endpoint with its own key (published at its JWKS path), after
 * letting a test change the claims or the signature. Everything else passes through untouched.
 */
export class TamperingProvider {
  tamper: IdTokenTamper = (claims) => ({ claims, signing: 'proxy-key' });
  private server!: Server;
  private key!: { privateKey: CryptoKey; jwk: JWK };
  private foreignKey!: CryptoKey;

  constructor(
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    const own = await generateKeyPair('RS256');
    this.key = {
      privateKey: own.privateKey,
      jwk: { ...(await exportJWK(own.publicKey)), kid: KID, alg: 'RS256', use: 'sig' },
    };
    this.foreignKey = (await generateKeyPair('RS256')).privateKey;
    this.server = createServer((incoming, outgoing) => {
      void this.handle(incoming).then(({ status, headers, body }) =>
        outgoing.writeHead(status, headers).end(body),
      );
    });
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(incoming: IncomingMessage) {
    const path = (incoming.url ?? '').split('?')[0];
    if (path === '/oauth2/v3/certs') {
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ keys: [this.key.jwk] }),
      };
    }
    const answer = await this.forward(incoming);
    if (incoming.method === 'POST' && path === '/token' && answer.status === 200) {
      const json = JSON.parse(answer.body) as Record<string, unknown>;
      if (typeof json.id_token === 'string') json.id_token = await this.resign(json.id_token);
      answer.body = JSON.stringify(json);
      delete answer.headers['content-length'];
    }
    return answer;
  }

  private async resign(idToken: string): Promise<string> {
    const { claims, signing } = this.tamper(decodeJwt(idToken));
    if (signing === 'none') {
      const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
    }
    const key = signing === 'foreign-key' ? this.foreignKey : this.key.privateKey;
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' }).sign(key);
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
