import { describe, expect, it } from '@jest/globals';
import { TestBrowser } from './support/browser.js';
import { graphql, graphqlData, REFRESH_TOKEN, TOKEN_STATUS } from './support/graphql.js';
import { withAppBehindDatabaseProxy } from './support/tcp-proxy.js';

describe('PostgreSQL becoming unreachable during requests', () => {
  const browser = new TestBrowser();
  const suite = withAppBehindDatabaseProxy(browser);

  it('answers a retryable error, writes nothing, and the same session works once it is back', async () => {
    const { app, proxy, database } = suite;
    const [before] = await database.query<{ version: number }>('SELECT version FROM oauth_tokens');
    const eventsBefore = await database.query('SELECT id FROM token_events');

    await proxy.cut();
    for (const query of [TOKEN_STATUS, REFRESH_TOKEN]) {
      const startedAt = Date.now();
      const answer = await graphql(browser, app.url, query);
      expect(answer.errors?.[0].extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(answer.errors?.[0].extensions?.retryable).toBe(true);
      // the error comes within the connection timeout
      expect(Date.now() - startedAt).toBeLessThan(10_000);
    }
    const ready = await fetch(`${app.url}/health/ready`);
    // readiness reports the outage
    expect(ready.status).toBe(503);

    await proxy.restore();
    const [afterOutage] = await database.query<{ version: number }>(
      'SELECT version FROM oauth_tokens',
    );
    // no partial write
    expect(afterOutage.version).toBe(before.version);
    expect((await database.query('SELECT id FROM token_events')).length).toBe(eventsBefore.length);
    const { tokenStatus } = await graphqlData<{ tokenStatus: { state: string } }>(
      browser,
      app.url,
      TOKEN_STATUS,
    );
    expect(tokenStatus.state).toBe('ACTIVE');
    expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
  });
});
