import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { databaseBehindProxy, type TcpProxy } from './support/tcp-proxy.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import type { TestDatabase } from './support/test-database.js';
import { diagnostic } from './support/diagnostic.js';

/** What a load balancer's probe waits at most; readiness must answer well within it. */
const PROBE_TIMEOUT_MS = 3000;

describe('readiness during a PostgreSQL partition (connections accepted, nothing answered)', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let app: TestApp;

  beforeAll(async () => {
    let proxiedUrl: string;
    ({ database, proxy, proxiedUrl } = await databaseBehindProxy());
    app = await startTestApp({ ...database, url: proxiedUrl });
  });

  afterAll(async () => {
    // ends the partition first, so the app's stuck queries fail and it can close
    await proxy?.stop();
    await app?.stop();
    await database?.drop();
  });

  it('answers 503 within the probe timeout, every time, saying the database did not answer', async () => {
    expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
    proxy.blackHole();

    for (let probe = 0; probe < 3; probe++) {
      const startedAt = Date.now();
      const response = await fetch(`${app.url}/health/ready`, {
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      const tookMs = Date.now() - startedAt;
      diagnostic(`readiness answered ${response.status} in ${tookMs} ms during the partition`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as { error: Record<string, { status: string }> };
      expect(body.error.database.status).toBe('down');
    }
  });
});
