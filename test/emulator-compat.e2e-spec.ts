// Google's own client library and passport-google-oauth20, unmodified, against the standalone
// emulator over real HTTP on loopback.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CodeChallengeMethod, OAuth2Client, type Credentials } from 'google-auth-library';
import { Strategy as GoogleStrategy, type Profile } from 'passport-google-oauth20';
import { startStandaloneEmulator } from '../src/google-emulator/standalone.js';
import { startTestEmulator } from './support/emulator-admin.js';

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
  assert.equal(response.status, 201, await response.text());
}

/** What a browser does: open the authorization URL, pick the checked account, press Allow. */
async function consent(authorizationUrl: string): Promise<URL> {
  const page = await fetch(authorizationUrl);
  assert.equal(page.status, 200);
  const html = await page.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const requestId = /name="request_id" value="([^"]+)"/.exec(html)?.[1];
  const sub = /name="sub" value="([^"]+)" checked/.exec(html)?.[1];
  assert.ok(action && requestId && sub, 'the consent form carries request_id and a checked sub');
  const decision = await fetch(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request_id: requestId, sub, decision: 'allow' }),
    redirect: 'manual',
  });
  assert.equal(decision.status, 302);
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
  before(async () => {
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
  after(() => emulator.close());

  it('binds the real port into the issuer', async () => {
    assert.match(emulator.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.doesNotMatch(emulator.url, /:0$/);
    const discovery = (await (
      await fetch(`${emulator.url}/.well-known/openid-configuration`)
    ).json()) as {
      issuer: string;
    };
    assert.equal(discovery.issuer, emulator.url);
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
    assert.equal(callback.searchParams.get('state'), 'e2e state/+');
    assert.equal(callback.searchParams.get('iss'), emulator.url);
    const code = String(callback.searchParams.get('code'));

    const { tokens } = await client.getToken({ code, codeVerifier });
    client.setCredentials(tokens);
    assert.match(String(tokens.access_token), /^ya29\./);
    assert.match(String(tokens.refresh_token), /^1\/\/0/);
    assert.ok(Number(tokens.expiry_date) > Date.now());

    const ticket = await client.verifyIdToken({
      idToken: String(tokens.id_token),
      audience: CLIENT_ID,
    });
    const payload = ticket.getPayload();
    assert.equal(payload?.email, 'ada@example.com');
    assert.equal(payload?.iss, emulator.url);
    assert.equal(payload?.aud, CLIENT_ID);

    const info = await client.getTokenInfo(String(tokens.access_token));
    assert.equal(info.aud, CLIENT_ID);
    assert.equal(info.email, 'ada@example.com');
    assert.ok(info.scopes.includes('openid'));
    assert.ok(info.scopes.includes('https://www.googleapis.com/auth/userinfo.email'));

    const refreshed = await refreshAfterExpiry(client, tokens);
    assert.notEqual(refreshed.access_token, tokens.access_token);
    assert.equal(refreshed.refresh_token, tokens.refresh_token, 'no rotation');
    assert.equal((await stats(emulator.url)).tokenGrants.refresh_token, 2);

    const revoked = await client.revokeToken(String(refreshed.access_token));
    assert.equal(revoked.status, 200);
    await assert.rejects(client.refreshAccessToken(), (error: Error) => {
      assert.equal(error.message, 'invalid_grant');
      return true;
    });
  });
});

/** Marks the token expired on the client side, then lets the library refresh it twice. */
async function refreshAfterExpiry(client: OAuth2Client, tokens: Credentials): Promise<Credentials> {
  client.setCredentials({ ...tokens, expiry_date: Date.now() - 1000 });
  const { token } = await client.getAccessToken();
  assert.ok(token && token !== tokens.access_token);
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
  before(async () => {
    emulator = await startTestEmulator(3599);
    await registerClient(emulator.url);
  });
  after(() => emulator.close());

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
    assert.match(accessToken, /^ya29\./);
    assert.equal(params.expires_in, 3599);
    const profile = await strategy.fetchProfile(accessToken);
    assert.equal(profile.id, '117350929174625391823');
    assert.equal(profile.displayName, 'Alan Turing');
    assert.deepEqual(profile.emails, [{ value: 'alan@example.com', verified: true }]);
  });
});
