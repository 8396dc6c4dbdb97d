import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import {
  ADA_SUB,
  ALAN_SUB,
  ISSUER,
  REDIRECT_URI,
  authorize,
  buildEmulator,
  callbackOf,
  decide,
  exchangeCode,
  obtainCode,
  postForm,
  readConsentForm,
} from './emulator.test-harness.js';

describe('authorization endpoint', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildEmulator();
  });
  afterAll(() => app.close());

  function assertErrorPage(
    response: Awaited<ReturnType<typeof authorize>>,
    status: number,
    code: string,
  ): void {
    expect(response.statusCode).toBe(status);
    // an error page never redirects
    expect(response.headers.location).toBe(undefined);
    expect(String(response.headers['content-type'])).toMatch(/^text\/html/);
    expect(response.body.includes(`Error ${status}: ${code}`)).toBeTruthy();
  }

  it('shows 401 invalid_client for an unknown client', async () => {
    assertErrorPage(await authorize(app, { client_id: 'nobody' }), 401, 'invalid_client');
  });

  it('needs the redirect URI to match exactly (a trailing slash differs)', async () => {
    const response = await authorize(app, { redirect_uri: `${REDIRECT_URI}/` });
    assertErrorPage(response, 400, 'redirect_uri_mismatch');
  });

  it('shows invalid_request for missing parameters', async () => {
    for (const name of ['client_id', 'redirect_uri', 'response_type', 'scope']) {
      const response = await authorize(app, { [name]: '' });
      assertErrorPage(response, 400, 'invalid_request');
      expect(response.body.includes(`Missing required parameter: ${name}`)).toBeTruthy();
    }
  });

  it('only supports response_type=code', async () => {
    assertErrorPage(await authorize(app, { response_type: 'token' }), 400, 'invalid_request');
  });

  it('shows invalid_scope for an unknown scope, listing valid and invalid ones', async () => {
    const response = await authorize(app, { scope: 'openid email calendar' });
    assertErrorPage(response, 400, 'invalid_scope');
    expect(response.body.includes('valid=[openid, email], invalid=[calendar]')).toBeTruthy();
  });

  it('accepts any googleapis auth URL scope', async () => {
    const response = await authorize(app, {
      scope: 'openid https://www.googleapis.com/auth/drive.readonly',
    });
    expect(response.statusCode).toBe(200);
  });

  it('applies the approval_prompt rules', async () => {
    const auto = await authorize(app, { approval_prompt: 'auto' });
    assertErrorPage(auto, 400, 'invalid_request');
    expect(auto.body.includes('approval_prompt: &#39;auto&#39; is not valid')).toBeTruthy();
    const both = await authorize(app, { approval_prompt: 'force', prompt: 'consent' });
    assertErrorPage(both, 400, 'invalid_request');
    expect(both.body.includes('Conflict params: approval_prompt and prompt')).toBeTruthy();
    expect((await authorize(app, { approval_prompt: 'force' })).statusCode).toBe(200);
  });

  it('serves the consent form contract, with the login_hint user checked', async () => {
    const firstByDefault = readConsentForm((await authorize(app)).body);
    expect(firstByDefault.checkedSub).toBe(ADA_SUB);
    const page = await authorize(app, { login_hint: 'alan@example.com' });
    expect(page.statusCode).toBe(200);
    const form = readConsentForm(page.body);
    expect(form.actionPath).toBe('/__google/signin/oauth/consent');
    expect(page.body.includes(`action="${ISSUER}/signin/oauth/consent"`)).toBeTruthy();
    expect(form.checkedSub).toBe(ALAN_SUB);
    expect(page.body.includes(`name="sub" value="${ADA_SUB}"`)).toBeTruthy();
    expect(
      page.body.includes('<button type="submit" name="decision" value="allow">Allow</button>'),
    ).toBeTruthy();
    expect(page.body.includes('<button type="submit" name="decision" value="deny">')).toBeTruthy();
    const bySub = readConsentForm((await authorize(app, { login_hint: ALAN_SUB })).body);
    expect(bySub.checkedSub).toBe(ALAN_SUB);
  });

  it('redirects with access_denied and the state when the user denies', async () => {
    const page = await authorize(app, { state: 'a b&c=d' });
    const callback = callbackOf(await decide(app, page.body, 'deny'));
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('a b&c=d');
    expect(callback.searchParams.get('code')).toBe(null);
  });

  it('redirects with Google’s callback parameters when the user allows', async () => {
    const page = await authorize(app, { state: 'xyz/+=' });
    const response = await decide(app, page.body, 'allow');
    const location = String(response.headers.location);
    // the code arrives URL-encoded
    expect(location).toMatch(/code=4%2F0A/);
    // spaces in scope are +
    expect(location).toMatch(/scope=openid\+email\+profile\+https/);
    const callback = callbackOf(response).searchParams;
    expect(callback.get('state')).toBe('xyz/+=');
    expect(callback.get('iss')).toBe(ISSUER);
    expect(String(callback.get('code'))).toMatch(/^4\/0A/);
    expect(callback.get('scope')).toBe(
      'openid email profile https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile',
    );
    expect(callback.get('authuser')).toBe('0');
    expect(callback.get('prompt')).toBe('consent');
  });

  it('refuses an unknown or already used request_id with a 400 page', async () => {
    const page = await authorize(app);
    expect((await decide(app, page.body, 'allow')).statusCode).toBe(302);
    assertErrorPage(await decide(app, page.body, 'allow'), 400, 'invalid_request');
    const unknown = await postForm(app, '/signin/oauth/consent', {
      request_id: 'nope',
      decision: 'allow',
      sub: ADA_SUB,
    });
    assertErrorPage(unknown, 400, 'invalid_request');
  });

  it('refuses an unknown account on the consent form', async () => {
    const page = await authorize(app);
    assertErrorPage(await decide(app, page.body, 'allow', '999'), 400, 'invalid_request');
  });
});

describe('prompt=none and include_granted_scopes', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildEmulator();
  });
  afterAll(() => app.close());

  it('redirects with interaction_required before any consent', async () => {
    const response = await authorize(app, { prompt: 'none', login_hint: ALAN_SUB });
    const callback = callbackOf(response).searchParams;
    expect(callback.get('error')).toBe('interaction_required');
    expect(callback.get('error_subtype')).toBe('access_denied');
    expect(callback.get('state')).toBe('state-123');
  });

  it('issues a code without a page once the scopes were granted', async () => {
    await obtainCode(app, { login_hint: ALAN_SUB }, ALAN_SUB);
    const response = await authorize(app, { prompt: 'none', login_hint: 'alan@example.com' });
    const callback = callbackOf(response).searchParams;
    expect(String(callback.get('code'))).toMatch(/^4\/0A/);
    expect(callback.get('prompt')).toBe('none');
    const exchange = await exchangeCode(app, String(callback.get('code')));
    expect(exchange.statusCode).toBe(200);
  });

  it('still asks for consent when prompt=none wants more scopes than granted', async () => {
    const response = await authorize(app, {
      prompt: 'none',
      login_hint: ALAN_SUB,
      scope: 'openid https://www.googleapis.com/auth/drive.readonly',
    });
    expect(callbackOf(response).searchParams.get('error')).toBe('interaction_required');
  });

  it('adds the scopes granted before when include_granted_scopes=true', async () => {
    await obtainCode(app, { scope: 'openid email' }, ADA_SUB);
    const drive = 'https://www.googleapis.com/auth/drive.readonly';
    const callback = await obtainCode(
      app,
      { scope: drive, include_granted_scopes: 'true' },
      ADA_SUB,
    );
    const tokens = (await exchangeCode(app, String(callback.get('code')))).json<{
      scope: string;
    }>();
    expect(tokens.scope.split(' ').sort()).toEqual([
      drive,
      'https://www.googleapis.com/auth/userinfo.email',
      'openid',
    ]);
    const without = await obtainCode(app, { scope: drive }, ADA_SUB);
    const narrow = (await exchangeCode(app, String(without.get('code')))).json<{ scope: string }>();
    expect(narrow.scope).toBe(drive);
  });
});
