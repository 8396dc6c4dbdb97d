// A host with a long name (60 characters, as Kubernetes pod names are) must still be able to take
// the refresh lease: TokenRefresher names itself `${hostname}:${pid}:${8 hex digits}` in
// refresh_lease_owner, a varchar(64), and with this name that would be 70 characters or more.
// The app is imported only after node:os is replaced, so it sees the long name (Jest's ESM mocks).
import * as realOs from 'node:os';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

const POD_NAME = 'tokenkeep-refresh-production-europe-west1-b-7d9f8c6b5d-x2k4q';
const longHostname = () => POD_NAME;
jest.unstable_mockModule('node:os', () => ({
  ...realOs,
  hostname: longHostname,
  default: { ...realOs, hostname: longHostname },
}));

const { hostname } = await import('node:os');
const { withTestApp } = await import('./support/test-app.js');
const { TestBrowser } = await import('./support/browser.js');
const { signIn } = await import('./support/sign-in.js');
const { expireStoredTokens } = await import('./support/test-database.js');
const { emulatorStats } = await import('./support/emulator-admin.js');
const { graphqlData } = await import('./support/graphql.js');

describe('an instance on a host with a 60-character name', () => {
  const suite = withTestApp('postgres', { LOG_LEVEL: 'error' });
  let browser: InstanceType<typeof TestBrowser>;

  beforeAll(async () => {
    browser = new TestBrowser();
    expect((await signIn(browser, suite.app.url)).callback.status).toBe(303);
  });
  afterAll(() => expect(hostname()).toBe(POD_NAME));

  it('takes the lease, refreshes once and gives the lease back', async () => {
    await expireStoredTokens(suite.database);
    const grantsBefore = (await emulatorStats(suite.app.emulatorUrl)).tokenGrants.refresh_token;
    const data = await graphqlData<{ profile: { sub: string } }>(
      browser,
      suite.app.url,
      '{ profile { sub } }',
    );
    expect(data.profile.sub).toMatch(/^\d+$/);
    const grantsAfter = (await emulatorStats(suite.app.emulatorUrl)).tokenGrants.refresh_token;
    expect(grantsAfter - grantsBefore).toBe(1);
    const [row] = await suite.database.query<{
      refresh_lease_owner: string | null;
      refresh_count: number;
    }>('SELECT refresh_lease_owner, refresh_count FROM oauth_tokens');
    expect(row).toEqual({ refresh_lease_owner: null, refresh_count: 1 });
  });
});
