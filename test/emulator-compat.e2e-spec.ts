import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CodeChallengeMethod, OAuth2Client, type Credentials } from 'google-auth-library';
import { Strategy as GoogleStrategy, type Profile } from 'passport-google-oauth20';
import { startStandaloneEmulator } from '@tokenkeep/google-emulator';
import { startTestEmulator } from './support/emulator-admin.js';
import { expectPresent } from './support/expect-present.js';

const CLIENT_ID = 'e2e-compat.apps.googleusercontent.com';
const CLIENT_SECRET = 'GOCSPX-e2e-compat';
const REDIRECT_URI = 'http://127.0.0.1:9/auth/google/callback';

type Emulator = Awaited<ReturnType<typeof startStandaloneEmulator>>;

async function registerClient(baseUrl: string): Promise<void> {
  const response = await fetch(`${baseUrl}/__emulator/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [REDIRECT_URI],
    }),
  });
  expect(response.status).toBe(201);
}

/** What a browser does: open the authorization URL, pick the checked account, press Allow. */
async function consent(authorizationUrl: string): Promise<URL> {
  const page = await fetch(authorizationUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const requestId = /name="request_id" value="([^"]+)"/.exec(html)?.[1];
  const sub = /name="sub" value="([^"]+)" checked/.exec(html)?.[1];
  // the consent form carries request_id and a checked sub
  expectPresent(action);
  expectPresent(requestId);
  expectPresent(sub);
  const decision = await fetch(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request_id: requestId, sub, decision: 'allow' }),
    redirect: 'manual',
  });
  expect(decision.status).toBe(302);
  return new URL(String(decision.headers.get('location')));
}

async function stats(baseUrl: string): Promise<{ tokenGrants: Record<string, number> }> {
  return (await (await fetch(`${baseUrl}/__emulator/stats`)).json()) as {
    tokenGrants: Record<string, number>;
  };
}

describe('google-auth-library 10.5 against the standalone emulator', () => {
  let emulator: Emulator;
  let client: OAuth2Client;
  beforeAll(async () => {
    emulator = await startTestEmulator(5);
    await registerClient(emulator.url);
    client = new OAuth2Client({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: REDIRECT_URI,
      endpoints: {
        oauth2AuthBaseUrl: `${emulator.url}/o/oauth2/v2/auth`,
        oauth2TokenUrl: `${emulator.url}/token`,
        oauth2RevokeUrl: `${emulator.url}/revoke`,
        tokenInfoUrl: `${emulator.url}/tokeninfo`,
        oauth2FederatedSignonPemCertsUrl: `${emulator.url}/oauth2/v1/certs`,
        oauth2FederatedSignonJwkCertsUrl: `${emulator.url}/oauth2/v3/certs`,
      },
      issuers: [emulator.url],
    });
  });
  afterAll(() => emulator.close());

  it('binds the real port into the issuer', async () => {
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulator.url).not.toMatch(/:0$/);
    const discovery = (await (
      await fetch(`${emulator.url}/.well-known/openid-configuration`)
    ).json()) as {
      issuer: string;
    };
    expect(discovery.issuer).toBe(emulator.url);
  });

  it('signs in, refreshes, inspects, verifies and revokes like against Google', async () => {
    const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
    const authorizationUrl = client.generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      scope: ['openid', 'email', 'profile'],
      code_challenge: codeChallenge,
      code_challenge_method: CodeChallengeMethod.S256,
      state: 'e2e state/+',
    });
    const callback = await consent(authorizationUrl);
    expect(callback.searchParams.get('state')).toBe('e2e state/+');
    expect(callback.searchParams.get('iss')).toBe(emulator.url);
    const code = String(callback.searchParams.get('code'));

    const { tokens } = await client.getToken({ code, codeVerifier });
    client.setCredentials(tokens);
    expect(String(tokens.access_token)).toMatch(/^ya29\./);
    expect(String(tokens.refresh_token)).toMatch(/^1\/\/0/);
    expect(Number(tokens.expiry_date)).toBeGreaterThan(Date.now());

    const ticket = await client.verifyIdToken({
      idToken: String(tokens.id_token),
      audience: CLIENT_ID,
    });
    const payload = ticket.getPayload();
    expect(payload?.email).toBe('ada@example.com');
    expect(payload?.iss).toBe(emulator.url);
    expect(payload?.aud).toBe(CLIENT_ID);

    const info = await client.getTokenInfo(String(tokens.access_token));
    expect(info.aud).toBe(CLIENT_ID);
    expect(info.email).toBe('ada@example.com');
    expect(info.scopes.includes('openid')).toBeTruthy();
    expect(info.scopes.includes('https://www.googleapis.com/auth/userinfo.email')).toBeTruthy();

    const refreshed = await refreshAfterExpiry(client, tokens);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    // no rotation
    expect(refreshed.refresh_token).toBe(tokens.refresh_token);
    expect((await stats(emulator.url)).tokenGrants.refresh_token).toBe(2);

    const revoked = await client.revokeToken(String(refreshed.access_token));
    expect(revoked.status).toBe(200);
    await expect(client.refreshAccessToken()).rejects.toMatchObject({ message: 'invalid_grant' });
  });
});

/** Marks the token expired on the client side, then lets the library refresh it twice. */
async function refreshAfterExpiry(client: OAuth2Client, tokens: Credentials): Promise<Credentials> {
  client.setCredentials({ ...tokens, expiry_date: Date.now() - 1000 });
  const { token } = await client.getAccessToken();
  expect(token && token !== tokens.access_token).toBeTruthy();
  const { credentials } = await client.refreshAccessToken();
  return credentials;
}

/** Exposes the protected node-oauth client that passport uses for the code exchange. */
class InspectableGoogleStrategy extends GoogleStrategy {
  exchangeCode(code: string): Promise<{ accessToken: string; params: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      this._oauth2.getOAuthAccessToken(
        code,
        { grant_type: 'authorization_code', redirect_uri: REDIRECT_URI },
        (error, accessToken, _refreshToken, params: Record<string, unknown>) =>
          error
            ? reject(new Error(JSON.stringify(error)))
            : resolve({ accessToken: String(accessToken), params }),
      );
    });
  }

  fetchProfile(accessToken: string): Promise<Profile> {
    return new Promise((resolve, reject) => {
      this.userProfile(accessToken, (error: unknown, profile?: Profile) => {
        if (error) reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        else resolve(profile as Profile);
      });
    });
  }
}

describe('passport-google-oauth20 against the standalone emulator', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator(3599);
    await registerClient(emulator.url);
  });
  afterAll(() => emulator.close());

  it('exchanges the code on /oauth2/v4/token and reads the profile from v3 userinfo', async () => {
    const strategy = new InspectableGoogleStrategy(
      {
        clientID: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        callbackURL: REDIRECT_URI,
        authorizationURL: `${emulator.url}/o/oauth2/v2/auth`,
        tokenURL: `${emulator.url}/oauth2/v4/token`,
        userProfileURL: `${emulator.url}/oauth2/v3/userinfo`,
      },
      () => undefined,
    );
    const query = new URLSearchParams({
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid email profile',
      login_hint: 'alan@example.com',
      client_id: CLIENT_ID,
    });
    const callback = await consent(`${emulator.url}/o/oauth2/v2/auth?${query.toString()}`);
    const { accessToken, params } = await strategy.exchangeCode(
      String(callback.searchParams.get('code')),
    );
    expect(accessToken).toMatch(/^ya29\./);
    expect(params.expires_in).toBe(3599);
    const profile = await strategy.fetchProfile(accessToken);
    expect(profile.id).toBe('117350929174625391823');
    expect(profile.displayName).toBe('Alan Turing');
    expect(profile.emails).toEqual([{ value: 'alan@example.com', verified: true }]);
  });
});
