import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  decodeJwt,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import type { RewritingProvider } from './rewriting-provider.js';

export type IdTokenTamper = (claims: JWTPayload) => {
  claims: JWTPayload;
  signing: 'proxy-key' | 'foreign-key' | 'none';
};

const KID = 'b'.repeat(40);

/**
 * A hostile Google for sign-in tests, set up on a RewritingProvider: it re-signs every ID token
 * from the token endpoint with its own key (published at the JWKS path), after letting a test
 * change the claims or the signature. Everything else passes through untouched.
 */
export class TamperingProvider {
  tamper: IdTokenTamper = (claims) => ({ claims, signing: 'proxy-key' });

  private constructor(
    private readonly key: { privateKey: CryptoKey; jwk: JWK },
    private readonly foreignKey: CryptoKey,
  ) {}

  static async on(proxy: RewritingProvider): Promise<TamperingProvider> {
    const own = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(own.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
    const foreign = await generateKeyPair('RS256');
    const tampering = new TamperingProvider(
      { privateKey: own.privateKey, jwk },
      foreign.privateKey,
    );
    proxy.answers.set('/oauth2/v3/certs', (response) =>
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [jwk] })),
    );
    proxy.rewrite = async (path, json) =>
      path === '/token' && typeof json.id_token === 'string'
        ? { ...json, id_token: await tampering.resign(json.id_token) }
        : json;
    return tampering;
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
}
