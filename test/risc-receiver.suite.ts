import { describe, expect, it } from '@jest/globals';
import { REFUSED_BODY } from '../src/risc/risc.controller.js';
import { TestBrowser } from './support/browser.js';
import {
  addEmulatorUser,
  addRiscReceiver,
  emulatorStats,
  pushRiscEvent,
  redeliverRiscEvent,
  registerEmulatorClient,
  type RiscDelivery,
} from './support/emulator-admin.js';
import { expectPresent } from './support/expect-present.js';
import { graphql, graphqlData, PROFILE, TOKEN_STATUS, ME } from './support/graphql.js';
import { signIn } from './support/sign-in.js';
import { withTestApp } from './support/test-app.js';
import type { DatabaseKind } from './support/test-database.js';

const ADA = '104892461539281739254';
const ALAN = '117350929174625391823';
const EVENTS = '{ tokenEvents(limit: 10) { type code detail } }';

interface GrantRow {
  state: string;
  failure_reason: string | null;
  access_token_ciphertext: string;
  refresh_token_ciphertext: string | null;
}

interface TokenEvent {
  type: string;
  code: string | null;
  detail: string | null;
}

/** Cross-Account Protection end to end: the emulator signs and pushes SETs to the app's POST /risc. */
export function describeRiscReceiver(kind: DatabaseKind): void {
  describe(`RISC receiver on ${kind}`, () => {
    const suite = withTestApp(kind, { RATE_LIMIT_RISC_PER_MINUTE: '1000000' });
    const param = () => (suite.database.kind === 'postgres' ? '$1' : '?');
    const receiverUrl = () => `${suite.app.url}/risc`;
    const clientId = () => suite.app.config.google.clientId;

    /** Pushes an event and returns the delivery to this app's receiver. */
    const push = async (event: Record<string, unknown>): Promise<RiscDelivery> => {
      const deliveries = await pushRiscEvent(suite.app.emulatorUrl, event);
      const ours = deliveries.find((delivery) => delivery.url === receiverUrl());
      expectPresent(ours);
      return ours;
    };
    const grantOf = async (sub: string): Promise<GrantRow | undefined> => {
      const rows = await suite.database.query<GrantRow>(
        `SELECT t.state, t.failure_reason, t.access_token_ciphertext, t.refresh_token_ciphertext
         FROM oauth_tokens t JOIN users u ON u.id = t.user_id WHERE u.google_sub = ${param()}`,
        [sub],
      );
      return rows[0];
    };
    const securityEventsOf = (sub: string) =>
      suite.database.query<{ code: string; detail: string }>(
        `SELECT e.code, e.detail FROM token_events e JOIN users u ON u.id = e.user_id
         WHERE u.google_sub = ${param()} AND e.type = 'SECURITY_EVENT' ORDER BY e.id`,
        [sub],
      );
    const metric = async (type: string, outcome: string): Promise<number> => {
      const text = await (await fetch(`${suite.app.url}/metrics`)).text();
      const line = text
        .split('\n')
        .find((entry) =>
          entry.startsWith(`tokenkeep_risc_events_total{type="${type}",outcome="${outcome}"}`),
        );
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const postToReceiver = (body: string, contentType = 'application/secevent+jwt') =>
      fetch(receiverUrl(), { method: 'POST', headers: { 'content-type': contentType }, body });
    const signedInAs = async (sub: string) => {
      const browser = new TestBrowser();
      await signIn(browser, suite.app.url, sub);
      return browser;
    };
    const newUser = (name: string) =>
      addEmulatorUser(suite.app.emulatorUrl, {
        email: `${name.toLowerCase()}@example.com`,
        name,
      });

    it('registered itself with the embedded emulator at start-up', async () => {
      const answer = await fetch(`${suite.app.emulatorUrl}/__emulator/risc/receivers`);
      const { receivers } = (await answer.json()) as {
        receivers: { url: string; client_id: string }[];
      };
      expect(receivers).toContainEqual(
        expect.objectContaining({ url: receiverUrl(), client_id: clientId() }),
      );
    });

    it('tokens-revoked marks the grant REVOKED and nothing calls Google for it any more; a replay is refused and does nothing', async () => {
      const ada = await signedInAs(ADA);
      const delivery = await push({ type: 'tokens-revoked', sub: ADA, client_id: clientId() });
      expect(delivery.status).toBe(202);

      const { tokenStatus } = await graphqlData<{ tokenStatus: { state: string } }>(
        ada,
        suite.app.url,
        TOKEN_STATUS,
      );
      expect(tokenStatus.state).toBe('REAUTH_REQUIRED');
      expect((await grantOf(ADA))?.failure_reason).toBe('REVOKED');
      const grantsBefore = (await emulatorStats(suite.app.emulatorUrl)).tokenGrants;
      const profile = await graphql(ada, suite.app.url, PROFILE);
      expect(profile.errors?.[0]?.extensions?.code).toBe('REAUTH_REQUIRED');
      expect((await emulatorStats(suite.app.emulatorUrl)).tokenGrants).toEqual(grantsBefore);
      const { tokenEvents } = await graphqlData<{ tokenEvents: TokenEvent[] }>(
        ada,
        suite.app.url,
        EVENTS,
      );
      expect(tokenEvents).toContainEqual({
        type: 'SECURITY_EVENT',
        code: 'tokens-revoked',
        detail: 'Google reported tokens-revoked',
      });

      const replayedBefore = await metric('tokens-revoked', 'replayed');
      const [replay] = await redeliverRiscEvent(suite.app.emulatorUrl, delivery.jti);
      expect(replay.status).toBe(400);
      expect(JSON.parse(replay.response_body ?? '')).toEqual(REFUSED_BODY);
      expect(await securityEventsOf(ADA)).toHaveLength(1);
      expect(await metric('tokens-revoked', 'replayed')).toBe(replayedBefore + 1);
    });

    it('token-revoked finds the grant by its refresh token (SHA-512² or prefix) and marks it REVOKED', async () => {
      for (const alg of ['hash_base64_sha512_sha512', 'prefix']) {
        const sub = await newUser(`Token${alg.length}`);
        const browser = await signedInAs(sub);
        const delivery = await push({
          type: 'token-revoked',
          sub,
          client_id: clientId(),
          token_identifier_alg: alg,
        });
        expect(delivery.status).toBe(202);
        expect(await grantOf(sub)).toMatchObject({
          state: 'REAUTH_REQUIRED',
          failure_reason: 'REVOKED',
        });
        const answer = await graphql(browser, suite.app.url, PROFILE);
        expect(answer.errors?.[0]?.extensions?.code).toBe('REAUTH_REQUIRED');
      }
    });

    it('sessions-revoked ends every session and API token of the user at once, and leaves the grant', async () => {
      const alan = await signedInAs(ALAN);
      const minted = await alan.postForm(`${suite.app.url}/auth/api-token`, {});
      const apiToken = /<code id="api-token">([^<]+)<\/code>/.exec(minted.body)?.[1];
      expectPresent(apiToken);
      const other = new TestBrowser();
      expect((await graphql(other, suite.app.url, ME, apiToken)).errors).toBe(undefined);

      expect((await push({ type: 'sessions-revoked', sub: ALAN })).status).toBe(202);

      expect((await graphql(alan, suite.app.url, ME)).errors?.[0]?.extensions?.code).toBe(
        'UNAUTHENTICATED',
      );
      expect(
        (await graphql(other, suite.app.url, ME, apiToken)).errors?.[0]?.extensions?.code,
      ).toBe('UNAUTHENTICATED');
      expect((await grantOf(ALAN))?.state).toBe('ACTIVE');
    });

    it.each([
      [
        'account-disabled',
        { reason: 'hijacking' },
        'Google reported account-disabled (reason: hijacking)',
      ],
      ['account-purged', {}, 'Google reported account-purged'],
    ])('%s ends the sessions and forgets the tokens', async (type, extra, detail) => {
      const sub = await newUser(type.replace('-', ''));
      const browser = await signedInAs(sub);
      expect((await grantOf(sub))?.refresh_token_ciphertext).not.toBe(null);

      expect((await push({ type, sub, ...extra })).status).toBe(202);

      expect((await graphql(browser, suite.app.url, ME)).errors?.[0]?.extensions?.code).toBe(
        'UNAUTHENTICATED',
      );
      expect(await grantOf(sub)).toMatchObject({
        state: 'REVOKED',
        access_token_ciphertext: '',
        refresh_token_ciphertext: null,
      });
      expect(await securityEventsOf(sub)).toEqual([{ code: type, detail }]);
    });

    it('account-credential-change-required records an event and changes nothing else', async () => {
      const sub = await newUser('Credential');
      const browser = await signedInAs(sub);
      expect((await push({ type: 'account-credential-change-required', sub })).status).toBe(202);
      const { tokenEvents } = await graphqlData<{ tokenEvents: TokenEvent[] }>(
        browser,
        suite.app.url,
        EVENTS,
      );
      expect(tokenEvents[0]).toEqual({
        type: 'SECURITY_EVENT',
        code: 'account-credential-change-required',
        detail: 'Google reported account-credential-change-required',
      });
      expect((await grantOf(sub))?.state).toBe('ACTIVE');
    });

    it('verification is acknowledged; an event about a user the app does not know is accepted and counted', async () => {
      const acknowledged = await metric('verification', 'acknowledged');
      expect((await push({ type: 'verification', state: 'check-1' })).status).toBe(202);
      expect(await metric('verification', 'acknowledged')).toBe(acknowledged + 1);

      const stranger = await newUser('Stranger');
      const unknown = await metric('sessions-revoked', 'unknown_subject');
      expect((await push({ type: 'sessions-revoked', sub: stranger })).status).toBe(202);
      expect(await metric('sessions-revoked', 'unknown_subject')).toBe(unknown + 1);
    });

    it('refuses garbage, another audience and a broken signature with one and the same answer, and acts on none', async () => {
      const rejectedBefore = await metric('none', 'rejected');
      const sub = await newUser('Target');
      await signedInAs(sub);
      const answers: { status: number | null; body: string | null }[] = [];

      for (const [body, type] of [
        ['not a token', 'application/secevent+jwt'],
        ['a.b.c', 'application/secevent+jwt'],
        ['{"events":{}}', 'application/json'],
        ['', 'application/secevent+jwt'],
      ]) {
        const answer = await postToReceiver(body, type);
        answers.push({ status: answer.status, body: await answer.text() });
      }

      // Signed by the emulator, for another client of the project.
      await registerEmulatorClient(suite.app.emulatorUrl, {
        client_id: 'another-client',
        client_secret: 'another-secret',
        redirect_uris: ['http://127.0.0.1:1/callback'],
      });
      await addRiscReceiver(suite.app.emulatorUrl, {
        url: receiverUrl(),
        client_id: 'another-client',
      });
      const foreign = await pushRiscEvent(suite.app.emulatorUrl, {
        type: 'sessions-revoked',
        sub,
        client_id: 'another-client',
      });
      expect(foreign).toHaveLength(1);
      answers.push({ status: foreign[0].status, body: foreign[0].response_body });

      // A real SET of ours, its claims changed (signature no longer matches), or its signature broken.
      // Events for no client now also go to the receiver registered for another-client: refused too.
      const pushed = await pushRiscEvent(suite.app.emulatorUrl, {
        type: 'verification',
        state: 'copy-me',
      });
      const genuine = pushed.find((delivery) => delivery.aud === clientId());
      expectPresent(genuine);
      expect(genuine.status).toBe(202);
      for (const delivery of pushed.filter((each) => each !== genuine))
        answers.push({ status: delivery.status, body: delivery.response_body });
      const [header, payload, signature] = genuine.set.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
        string,
        unknown
      >;
      const forgedPayload = Buffer.from(
        JSON.stringify({
          ...claims,
          jti: 'forged',
          events: {
            'https://schemas.openid.net/secevent/risc/event-type/sessions-revoked': {
              subject: { subject_type: 'iss-sub', iss: claims.iss, sub },
            },
          },
        }),
      ).toString('base64url');
      // Its first character changed, so it never equals the genuine one.
      const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
      for (const forged of [
        `${header}.${forgedPayload}.${signature}`,
        `${header}.${payload}.${flipped}`,
      ]) {
        const answer = await postToReceiver(forged);
        answers.push({ status: answer.status, body: await answer.text() });
      }

      for (const answer of answers) {
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.body ?? '')).toEqual(REFUSED_BODY);
      }
      expect(await securityEventsOf(sub)).toEqual([]);
      expect(await metric('none', 'rejected')).toBe(rejectedBefore + answers.length);
    });
  });
}
