import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import {
  SignJWT,
  createLocalJWKSet,
  decodeProtectedHeader,
  generateKeyPair,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import {
  ADA_SUB,
  ALAN_SUB,
  BASE,
  CLIENT,
  ISSUER,
  OTHER_CLIENT,
  assertTokenError,
  buildEmulator,
  exchangeCode,
  getJson,
  obtainCode,
  postJson,
  refresh,
  signIn,
} from './emulator.test-harness.js';

const EVENT = 'https://schemas.openid.net/secevent/risc/event-type/';
const OAUTH_EVENT = 'https://schemas.openid.net/secevent/oauth/event-type/';
const PUSH = 'https://schemas.openid.net/secevent/risc/delivery-method/push';
const MANAGEMENT_AUDIENCE =
  'https://risc.googleapis.com/google.identity.risc.v1beta.RiscManagementService';

interface ReceivedRequest {
  contentType: string | undefined;
  body: string;
}

/** A real HTTP receiver on a loopback port, answering `status` to every SET. */
class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  status = 202;
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.requests.push({
        contentType: request.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(this.status).end();
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/risc`;
  }

  lastSet(): string {
    const last = this.requests.at(-1);
    if (!last) throw new Error('the receiver got nothing');
    return last.body;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface Delivery {
  receiver_id: string;
  url: string;
  jti: string;
  aud: string | string[];
  event_type: string;
  sub: string | null;
  set: string;
  status: number | null;
  error?: string;
}

interface RiscConfiguration {
  issuer: string;
  jwks_uri: string;
}

/** Verifies a SET the way Google tells receivers to: keys and issuer from the RISC configuration. */
async function verifySet(
  app: FastifyInstance,
  set: string,
  audience: string,
): Promise<JWTPayload & { events: Record<string, Record<string, unknown>> }> {
  const config = (await getJson(app, '/.well-known/risc-configuration')).json<RiscConfiguration>();
  const jwks = await getJson(app, new URL(config.jwks_uri).pathname.slice(BASE.length));
  const { payload } = await jwtVerify(set, createLocalJWKSet(jwks.json<JSONWebKeySet>()), {
    issuer: config.issuer,
    audience,
    algorithms: ['RS256'],
  });
  return payload as JWTPayload & { events: Record<string, Record<string, unknown>> };
}

function pushEvent(app: FastifyInstance, body: Record<string, unknown>) {
  return postJson(app, '/__emulator/risc/events', body);
}

/** The deliveries a push answered (its 201 body). */
function deliveriesOf(response: Awaited<ReturnType<typeof pushEvent>>): Delivery[] {
  expect(response.statusCode).toBe(201);
  return response.json<{ deliveries: Delivery[] }>().deliveries;
}

async function signInOther(app: FastifyInstance): Promise<string> {
  const callback = await obtainCode(app, {
    client_id: OTHER_CLIENT.clientId,
    access_type: 'offline',
    prompt: 'consent',
  });
  const tokens = await exchangeCode(app, String(callback.get('code')), {
    client_id: OTHER_CLIENT.clientId,
    client_secret: OTHER_CLIENT.clientSecret,
  });
  return tokens.json<{ refresh_token: string }>().refresh_token;
}

function doubleSha512(token: string): string {
  const inner = createHash('sha512').update(token, 'utf8').digest();
  return createHash('sha512').update(inner).digest('base64');
}

describe('RISC transmitter: configuration', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildEmulator();
  });
  afterAll(() => app.close());

  it('publishes Google’s risc-configuration fields, below the emulator', async () => {
    const response = await getJson(app, '/.well-known/risc-configuration');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/oauth2/v3/certs`,
      delivery_methods_supported: ['http://schemas.openid.net/secevent/risc/delivery-method/push'],
      add_subject_endpoint: `${ISSUER}/v1beta/subjects:add`,
      get_status_endpoint: `${ISSUER}/v1beta/stream/status`,
      get_configuration_endpoint: `${ISSUER}/v1beta/stream`,
      update_configuration_endpoint: `${ISSUER}/v1beta/stream:update`,
      verification_endpoint: `${ISSUER}/v1beta/stream:verify`,
    });
  });
});

describe('RISC transmitter: admin-registered receivers', () => {
  let app: FastifyInstance;
  let receiver: TestReceiver;
  beforeAll(async () => {
    app = await buildEmulator();
    receiver = await new TestReceiver().start();
    const registered = await postJson(app, '/__emulator/risc/receivers', {
      url: receiver.url,
      client_id: CLIENT.clientId,
    });
    expect(registered.statusCode).toBe(201);
    expect(registered.json()).toEqual({
      id: 'r1',
      url: receiver.url,
      client_id: CLIENT.clientId,
      events_requested: null,
      status: 'enabled',
    });
  });
  afterAll(async () => {
    await app.close();
    await receiver.close();
  });
  beforeEach(() => {
    receiver.status = 202;
  });

  it('signs a SET (RFC 8417) and POSTs it as application/secevent+jwt', async () => {
    const [delivery] = deliveriesOf(
      await pushEvent(app, { type: 'sessions-revoked', email: 'ada@example.com' }),
    );
    expect(delivery).toMatchObject({
      receiver_id: 'r1',
      url: receiver.url,
      aud: CLIENT.clientId,
      event_type: `${EVENT}sessions-revoked`,
      sub: ADA_SUB,
      status: 202,
    });
    const request = receiver.requests.at(-1);
    expect(request?.contentType).toBe('application/secevent+jwt');
    expect(request?.body).toBe(delivery.set);
    const header = decodeProtectedHeader(delivery.set);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'secevent+jwt' });
    expect(String(header.kid)).toMatch(/^[0-9a-f]{40}$/);
    const claims = await verifySet(app, delivery.set, CLIENT.clientId);
    expect(Object.keys(claims).sort()).toEqual(['aud', 'events', 'iat', 'iss', 'jti']);
    expect(claims.jti).toBe(delivery.jti);
    expect(Math.abs(Number(claims.iat) - Date.now() / 1000)).toBeLessThan(60);
    expect(claims.events).toEqual({
      [`${EVENT}sessions-revoked`]: {
        subject: { subject_type: 'iss-sub', iss: ISSUER, sub: ADA_SUB },
      },
    });
  });

  it('revokes the user’s grant for that client on tokens-revoked, as Google did', async () => {
    const mine = await signIn(app, { access_type: 'offline', prompt: 'consent' });
    const theirs = await signInOther(app);
    const [delivery] = deliveriesOf(
      await pushEvent(app, { type: 'tokens-revoked', sub: ADA_SUB, client_id: CLIENT.clientId }),
    );
    const claims = await verifySet(app, delivery.set, CLIENT.clientId);
    expect(claims.events).toEqual({
      [`${OAUTH_EVENT}tokens-revoked`]: {
        subject: { subject_type: 'iss-sub', iss: ISSUER, sub: ADA_SUB },
      },
    });
    assertTokenError(
      await refresh(app, String(mine.refresh_token)),
      400,
      'invalid_grant',
      'Token has been expired or revoked.',
    );
    const other = await refresh(app, theirs, {
      client_id: OTHER_CLIENT.clientId,
      client_secret: OTHER_CLIENT.clientSecret,
    });
    expect(other.statusCode).toBe(200);
  });

  it('names one refresh token on token-revoked (double SHA-512 or prefix) and kills only it', async () => {
    const kept = String(
      (await signIn(app, { access_type: 'offline', prompt: 'consent' })).refresh_token,
    );
    const revoked = String(
      (await signIn(app, { access_type: 'offline', prompt: 'consent' })).refresh_token,
    );
    const [hashed] = deliveriesOf(
      await pushEvent(app, {
        type: 'token-revoked',
        sub: ADA_SUB,
        client_id: CLIENT.clientId,
        refresh_token: revoked,
      }),
    );
    const claims = await verifySet(app, hashed.set, CLIENT.clientId);
    expect(claims.events).toEqual({
      [`${OAUTH_EVENT}token-revoked`]: {
        subject: {
          subject_type: 'oauth_token',
          token_type: 'refresh_token',
          token_identifier_alg: 'hash_base64_sha512_sha512',
          token: doubleSha512(revoked),
        },
      },
    });
    expect((await refresh(app, revoked)).statusCode).toBe(400);
    expect((await refresh(app, kept)).statusCode).toBe(200);
    // without refresh_token: the newest live one; identified by its first 16 characters
    const [prefixed] = deliveriesOf(
      await pushEvent(app, {
        type: `${OAUTH_EVENT}token-revoked`,
        sub: ADA_SUB,
        client_id: CLIENT.clientId,
        token_identifier_alg: 'prefix',
      }),
    );
    const prefixClaims = await verifySet(app, prefixed.set, CLIENT.clientId);
    expect(prefixClaims.events[`${OAUTH_EVENT}token-revoked`]).toEqual({
      subject: {
        subject_type: 'oauth_token',
        token_type: 'refresh_token',
        token_identifier_alg: 'prefix',
        token: kept.slice(0, 16),
      },
    });
    expect((await refresh(app, kept)).statusCode).toBe(400);
  });

  it('carries the reason of account-disabled and ends every grant of the user', async () => {
    const tokens = await signIn(app, { access_type: 'offline', prompt: 'consent' });
    const [delivery] = deliveriesOf(
      await pushEvent(app, { type: 'account-disabled', sub: ADA_SUB, reason: 'hijacking' }),
    );
    const claims = await verifySet(app, delivery.set, CLIENT.clientId);
    expect(claims.events).toEqual({
      [`${EVENT}account-disabled`]: {
        subject: { subject_type: 'iss-sub', iss: ISSUER, sub: ADA_SUB },
        reason: 'hijacking',
      },
    });
    expect((await refresh(app, String(tokens.refresh_token))).statusCode).toBe(400);
  });

  it('sends the informational events without touching grants', async () => {
    const tokens = await signIn(app, { access_type: 'offline', prompt: 'consent' });
    for (const type of ['account-credential-change-required', 'account-enabled']) {
      const [delivery] = deliveriesOf(await pushEvent(app, { type, sub: ADA_SUB }));
      const claims = await verifySet(app, delivery.set, CLIENT.clientId);
      expect(Object.keys(claims.events)).toEqual([`${EVENT}${type}`]);
    }
    expect((await refresh(app, String(tokens.refresh_token))).statusCode).toBe(200);
  });

  it('sends verification with its state and no subject', async () => {
    const [delivery] = deliveriesOf(
      await pushEvent(app, { type: 'verification', state: 'check-42' }),
    );
    expect(delivery.sub).toBe(null);
    const claims = await verifySet(app, delivery.set, CLIENT.clientId);
    expect(claims.events).toEqual({ [`${EVENT}verification`]: { state: 'check-42' } });
  });

  it('records what the receiver answered, and a receiver that cannot be reached', async () => {
    receiver.status = 400;
    const [refused] = deliveriesOf(
      await pushEvent(app, { type: 'sessions-revoked', sub: ALAN_SUB }),
    );
    expect(refused.status).toBe(400);
    const closed = await new TestReceiver().start();
    const deadUrl = closed.url;
    await closed.close();
    const added = await postJson(app, '/__emulator/risc/receivers', {
      url: deadUrl,
      client_id: OTHER_CLIENT.clientId,
    });
    expect(added.statusCode).toBe(201);
    const [unreachable] = deliveriesOf(
      await pushEvent(app, {
        type: 'sessions-revoked',
        sub: ALAN_SUB,
        client_id: OTHER_CLIENT.clientId,
      }),
    );
    expect(unreachable.url).toBe(deadUrl);
    expect(unreachable.status).toBe(null);
    expect(String(unreachable.error).length).toBeGreaterThan(0);
    const log = (await getJson(app, '/__emulator/risc/deliveries')).json<{
      deliveries: Delivery[];
    }>().deliveries;
    expect(log.at(-2)).toMatchObject({ jti: refused.jti, status: 400 });
    expect(log.at(-1)).toMatchObject({ jti: unreachable.jti, status: null });
  });

  it('redelivers the same SET, same jti', async () => {
    const [first] = deliveriesOf(
      await pushEvent(app, { type: 'sessions-revoked', sub: ALAN_SUB, client_id: CLIENT.clientId }),
    );
    const again = await postJson(app, `/__emulator/risc/deliveries/${first.jti}/redeliver`, {});
    expect(again.statusCode).toBe(201);
    const [repeat] = again.json<{ deliveries: Delivery[] }>().deliveries;
    expect(repeat).toMatchObject({ jti: first.jti, set: first.set, status: 202 });
    expect(receiver.lastSet()).toBe(first.set);
  });

  it('lets the SET header typ be changed or left out', async () => {
    const [none] = deliveriesOf(
      await pushEvent(app, {
        type: 'sessions-revoked',
        sub: ALAN_SUB,
        client_id: CLIENT.clientId,
        typ: null,
      }),
    );
    expect('typ' in decodeProtectedHeader(none.set)).toBe(false);
    const [jwt] = deliveriesOf(
      await pushEvent(app, {
        type: 'sessions-revoked',
        sub: ALAN_SUB,
        client_id: CLIENT.clientId,
        typ: 'JWT',
      }),
    );
    expect(decodeProtectedHeader(jwt.set).typ).toBe('JWT');
  });

  it('removes the user on account-purged', async () => {
    const added = await postJson(app, '/__emulator/users', {
      email: 'gone@example.com',
      name: 'Gone',
    });
    const sub = added.json<{ sub: string }>().sub;
    deliveriesOf(await pushEvent(app, { type: 'account-purged', sub, client_id: CLIENT.clientId }));
    const users = (await getJson(app, '/__emulator/users')).json<{ users: { sub: string }[] }>();
    expect(users.users.map((user) => user.sub)).not.toContain(sub);
  });

  it('refuses bad event input', async () => {
    const cases: [Record<string, unknown>, number][] = [
      [{ type: 'nonsense', sub: ADA_SUB }, 400],
      [{ type: 'sessions-revoked' }, 400],
      [{ type: 'tokens-revoked', sub: ADA_SUB }, 400],
      [{ type: 'account-disabled', sub: ADA_SUB, reason: 'boredom' }, 400],
      [{ type: 'sessions-revoked', sub: '1' }, 404],
      [{ type: 'tokens-revoked', sub: ADA_SUB, client_id: 'nobody' }, 404],
      [
        {
          type: 'token-revoked',
          sub: ALAN_SUB,
          client_id: CLIENT.clientId,
          refresh_token: '1//0nope',
        },
        404,
      ],
    ];
    for (const [body, status] of cases) {
      const response = await pushEvent(app, body);
      expect([JSON.stringify(body), response.statusCode]).toEqual([JSON.stringify(body), status]);
      expect(response.json<{ error: string }>().error.length).toBeGreaterThan(0);
    }
    const badReceiver = await postJson(app, '/__emulator/risc/receivers', {
      url: 'not a url',
      client_id: CLIENT.clientId,
    });
    expect(badReceiver.statusCode).toBe(400);
  });

  it('sends only the events a receiver asked for', async () => {
    await app.inject({ method: 'DELETE', url: `${BASE}/__emulator/risc/receivers` });
    await postJson(app, '/__emulator/risc/receivers', {
      url: receiver.url,
      client_id: CLIENT.clientId,
      events_requested: [`${EVENT}sessions-revoked`],
    });
    const before = receiver.requests.length;
    expect(deliveriesOf(await pushEvent(app, { type: 'account-enabled', sub: ALAN_SUB }))).toEqual(
      [],
    );
    expect(
      deliveriesOf(await pushEvent(app, { type: 'sessions-revoked', sub: ALAN_SUB })),
    ).toHaveLength(1);
    expect(receiver.requests.length).toBe(before + 1);
  });
});

describe('RISC transmitter: Google’s stream management API, mirrored', () => {
  let app: FastifyInstance;
  let receiver: TestReceiver;
  let bearer: string;
  beforeAll(async () => {
    app = await buildEmulator();
    receiver = await new TestReceiver().start();
    bearer = await serviceAccountToken(MANAGEMENT_AUDIENCE);
  });
  afterAll(async () => {
    await app.close();
    await receiver.close();
  });

  /** What Google's docs tell a service account to sign (the emulator does not check the signature). */
  async function serviceAccountToken(audience: string): Promise<string> {
    const { privateKey } = await generateKeyPair('RS256');
    const email = 'risc@project.iam.gserviceaccount.com';
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
      .setIssuer(email)
      .setSubject(email)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
  }

  /** `token` null: no Authorization header at all. */
  function management(path: string, body?: unknown, token: string | null = bearer) {
    return app.inject({
      method: body === undefined ? 'GET' : 'POST',
      url: `${BASE}/v1beta/${path}`,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
  }

  const streamConfig = (url: string) => ({
    delivery: { delivery_method: PUSH, url },
    events_requested: [`${EVENT}verification`, `${OAUTH_EVENT}tokens-revoked`],
  });

  it('needs a bearer token meant for the RISC management API', async () => {
    const anonymous = await management('stream:update', streamConfig(receiver.url), null);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toEqual({
      error: { code: 401, message: 'Unauthorized.', status: 'UNAUTHENTICATED' },
    });
    const wrongAudience = await serviceAccountToken('https://example.com/');
    expect(
      (await management('stream:update', streamConfig(receiver.url), wrongAudience)).statusCode,
    ).toBe(401);
  });

  it('refuses incomplete configurations and plain-HTTP endpoints off loopback', async () => {
    const missing = await management('stream:update', { events_requested: [] });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({
      error: {
        code: 400,
        message: 'Stream configuration must contain delivery field.',
        status: 'INVALID_ARGUMENT',
      },
    });
    const http = await management('stream:update', streamConfig('http://example.com/risc'));
    expect(http.statusCode).toBe(403);
    expect(http.json<{ error: { message: string } }>().error.message).toBe(
      'The delivery endpoint must be an HTTPS URL.',
    );
    expect((await management('stream')).statusCode).toBe(404);
  });

  it('registers the stream, verifies it, and stops and resumes it', async () => {
    const updated = await management('stream:update', streamConfig(receiver.url));
    expect(updated.statusCode).toBe(200);
    expect((await management('stream')).json()).toEqual(streamConfig(receiver.url));
    expect((await management('stream/status')).json()).toEqual({ status: 'enabled' });
    const verify = await management('stream:verify', { state: 'registered at test time' });
    expect(verify.statusCode).toBe(200);
    // one client registered in this emulator besides OTHER_CLIENT: the SET names them all
    const claims = await verifySet(app, receiver.lastSet(), CLIENT.clientId);
    expect(claims.aud).toEqual([CLIENT.clientId, OTHER_CLIENT.clientId]);
    expect(claims.events).toEqual({
      [`${EVENT}verification`]: { state: 'registered at test time' },
    });
    // events for one client carry that client as audience; unrequested types are not sent
    const [revoked] = deliveriesOf(
      await pushEvent(app, {
        type: 'tokens-revoked',
        sub: ADA_SUB,
        client_id: OTHER_CLIENT.clientId,
      }),
    );
    expect(revoked).toMatchObject({
      receiver_id: 'stream',
      aud: OTHER_CLIENT.clientId,
      status: 202,
    });
    expect(deliveriesOf(await pushEvent(app, { type: 'sessions-revoked', sub: ADA_SUB }))).toEqual(
      [],
    );
    const disabled = await management('stream/status:update', { status: 'disabled' });
    expect(disabled.json()).toEqual({ status: 'disabled' });
    expect(
      deliveriesOf(
        await pushEvent(app, { type: 'tokens-revoked', sub: ADA_SUB, client_id: CLIENT.clientId }),
      ),
    ).toEqual([]);
    expect((await management('stream/status:update', { status: 'paused' })).statusCode).toBe(403);
    await management('stream/status:update', { status: 'enabled' });
    const receivers = (await getJson(app, '/__emulator/risc/receivers')).json<unknown>();
    expect(receivers).toEqual({
      receivers: [
        {
          id: 'stream',
          url: receiver.url,
          client_id: null,
          events_requested: streamConfig(receiver.url).events_requested,
          status: 'enabled',
        },
      ],
    });
  });

  it('answers add_subject requests', async () => {
    const added = await management('subjects:add', {
      subject: { subject_type: 'iss-sub', iss: ISSUER, sub: ADA_SUB },
    });
    expect(added.statusCode).toBe(200);
  });
});
