import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestBrowser } from './support/browser.js';
import { graphql, graphqlData, REFRESH_TOKEN, TOKEN_STATUS } from './support/graphql.js';
import { signIn } from './support/sign-in.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

describe('PostgreSQL becoming unreachable during requests', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let app: TestApp;
  const browser = new TestBrowser();

  before(async () => {
    database = await createTestDatabase('postgres');
    const target = new URL(database.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const throughProxy = new URL(database.url);
    throughProxy.hostname = '127.0.0.1';
    throughProxy.port = String(proxy.port);
    app = await startTestApp({ ...database, url: throughProxy.toString() });
    await signIn(browser, app.url);
  });

  after(async () => {
    await app?.stop();
    await proxy?.stop();
    await database?.drop();
  });

  it('answers a retryable error, writes nothing, and the same session works once it is back', async () => {
    const [before] = await database.query<{ version: number }>('SELECT version FROM oauth_tokens');
    const eventsBefore = await database.query('SELECT id FROM token_events');

    await proxy.cut();
    for (const query of [TOKEN_STATUS, REFRESH_TOKEN]) {
      const startedAt = Date.now();
      const answer = await graphql(browser, app.url, query);
      assert.equal(
        answer.errors?.[0].extensions?.code,
        'UPSTREAM_UNAVAILABLE',
        JSON.stringify(answer.errors),
      );
      assert.equal(answer.errors?.[0].extensions?.retryable, true);
      assert.ok(Date.now() - startedAt < 10_000, 'the error comes within the connection timeout');
    }
    const ready = await fetch(`${app.url}/health/ready`);
    assert.equal(ready.status, 503, 'readiness reports the outage');

    await proxy.restore();
    const [afterOutage] = await database.query<{ version: number }>(
      'SELECT version FROM oauth_tokens',
    );
    assert.equal(afterOutage.version, before.version, 'no partial write');
    assert.equal((await database.query('SELECT id FROM token_events')).length, eventsBefore.length);
    const { tokenStatus } = await graphqlData<{ tokenStatus: { state: string } }>(
      browser,
      app.url,
      TOKEN_STATUS,
    );
    assert.equal(tokenStatus.state, 'ACTIVE');
    assert.equal((await fetch(`${app.url}/health/ready`)).status, 200);
  });
});
