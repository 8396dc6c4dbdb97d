import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
} from './spec-harness.spec.js';

describe('authorization endpoint', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildEmulator();
  });
  after(() => app.close());

  function assertErrorPage(
    response: Awaited<ReturnType<typeof authorize>>,
    status: number,
    code: string,
  ): void {
    assert.equal(response.statusCode, status);
    assert.equal(response.headers.location, undefined, 'an error page never redirects');
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.ok(response.body.includes(`Error ${status}: ${code}`), response.body);
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
      assert.ok(response.body.includes(`Missing required parameter: ${name}`));
    }
  });

  it('only supports response_type=code', async () => {
    assertErrorPage(await authorize(app, { response_type: 'token' }), 400, 'invalid_request');
  });

  it('shows invalid_scope for an unknown scope, listing valid and invalid ones', async () => {
    const response = await authorize(app, { scope: 'openid email calendar' });
    assertErrorPage(response, 400, 'invalid_scope');
    assert.ok(response.body.includes('valid=[openid, email], invalid=[calendar]'));
  });

  it('accepts any googleapis auth URL scope', async () => {
    const response = await authorize(app, {
      scope: 'openid https://www.googleapis.com/auth/drive.readonly',
    });
    assert.equal(response.statusCode, 200);
  });

  it('applies the approval_prompt rules', async () => {
    const auto = await authorize(app, { approval_prompt: 'auto' });
    assertErrorPage(auto, 400, 'invalid_request');
    assert.ok(auto.body.includes('approval_prompt: &#39;auto&#39; is not valid'));
    const both = await authorize(app, { approval_prompt: 'force', prompt: 'consent' });
    assertErrorPage(both, 400, 'invalid_request');
    assert.ok(both.body.includes('Conflict params: approval_prompt and prompt'));
    assert.equal((await authorize(app, { approval_prompt: 'force' })).statusCode, 200);
  });

  it('serves the consent form contract, with the login_hint user checked', async () => {
    const firstByDefault = readConsentForm((await authorize(app)).body);
    assert.equal(firstByDefault.checkedSub, ADA_SUB);
    const page = await authorize(app, { login_hint: 'alan@example.com' });
    assert.equal(page.statusCode, 200);
    const form = readConsentForm(page.body);
    assert.equal(form.actionPath, '/__google/signin/oauth/consent');
    assert.ok(page.body.includes(`action="${ISSUER}/signin/oauth/consent"`));
    assert.equal(form.checkedSub, ALAN_SUB);
    assert.ok(page.body.includes(`name="sub" value="${ADA_SUB}"`));
    assert.ok(
      page.body.includes('<button type="submit" name="decision" value="allow">Allow</button>'),
    );
    assert.ok(page.body.includes('<button type="submit" name="decision" value="deny">'));
    const bySub = readConsentForm((await authorize(app, { login_hint: ALAN_SUB })).body);
    assert.equal(bySub.checkedSub, ALAN_SUB);
  });

  it('redirects with access_denied and the state when the user denies', async () => {
    const page = await authorize(app, { state: 'a b&c=d' });
    const callback = callbackOf(await decide(app, page.body, 'deny'));
    assert.equal(callback.origin + callback.pathname, REDIRECT_URI);
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('state'), 'a b&c=d');
    assert.equal(callback.searchParams.get('code'), null);
  });

  it('redirects with Google’s callback parameters when the user allows', async () => {
    const page = await authorize(app, { state: 'xyz/+=' });
    const response = await decide(app, page.body, 'allow');
    const location = String(response.headers.location);
    assert.match(location, /code=4%2F0A/, 'the code arrives URL-encoded');
    assert.match(location, /scope=openid\+email\+profile\+https/, 'spaces in scope are +');
    const callback = callbackOf(response).searchParams;
    assert.equal(callback.get('state'), 'xyz/+=');
    assert.equal(callback.get('iss'), ISSUER);
    assert.match(String(callback.get('code')), /^4\/0A/);
    assert.equal(
      callback.get('scope'),
      'openid email profile https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile',
    );
    assert.equal(callback.get('authuser'), '0');
    assert.equal(callback.get('prompt'), 'consent');
  });

  it('refuses an unknown or already used request_id with a 400 page', async () => {
    const page = await authorize(app);
    assert.equal((await decide(app, page.body, 'allow')).statusCode, 302);
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
  before(async () => {
    app = await buildEmulator();
  });
  after(() => app.close());

  it('redirects with interaction_required before any consent', async () => {
    const response = await authorize(app, { prompt: 'none', login_hint: ALAN_SUB });
    const callback = callbackOf(response).searchParams;
    assert.equal(callback.get('error'), 'interaction_required');
    assert.equal(callback.get('error_subtype'), 'access_denied');
    assert.equal(callback.get('state'), 'state-123');
  });

  it('issues a code without a page once the scopes were granted', async () => {
    await obtainCode(app, { login_hint: ALAN_SUB }, ALAN_SUB);
    const response = await authorize(app, { prompt: 'none', login_hint: 'alan@example.com' });
    const callback = callbackOf(response).searchParams;
    assert.match(String(callback.get('code')), /^4\/0A/);
    assert.equal(callback.get('prompt'), 'none');
    const exchange = await exchangeCode(app, String(callback.get('code')));
    assert.equal(exchange.statusCode, 200);
  });

  it('still asks for consent when prompt=none wants more scopes than granted', async () => {
    const response = await authorize(app, {
      prompt: 'none',
      login_hint: ALAN_SUB,
      scope: 'openid https://www.googleapis.com/auth/drive.readonly',
    });
    assert.equal(callbackOf(response).searchParams.get('error'), 'interaction_required');
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
    assert.deepEqual(tokens.scope.split(' ').sort(), [
      drive,
      'https://www.googleapis.com/auth/userinfo.email',
      'openid',
    ]);
    const without = await obtainCode(app, { scope: drive }, ADA_SUB);
    const narrow = (await exchangeCode(app, String(without.get('code')))).json<{ scope: string }>();
    assert.equal(narrow.scope, drive);
  });
});
