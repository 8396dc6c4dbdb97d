import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import {
  ADA_SUB,
  ALAN_SUB,
  OPENID_EMAIL_PROFILE,
  allowWithScopes,
  authorize,
  buildEmulator,
  callbackOf,
  exchangeCode,
  getJson,
  obtainCode,
  readConsentForm,
  refresh,
  type Params,
  type TokenBody,
} from './emulator.test-harness.js';

const DRIVE = 'https://www.googleapis.com/auth/drive.readonly';
const CALENDAR = 'https://www.googleapis.com/auth/calendar.readonly';
const GMAIL = 'https://www.googleapis.com/auth/gmail.readonly';
const SIGN_IN = 'openid email profile';

function scopeSet(scope: string): string[] {
  return scope.split(' ').sort();
}

describe('granular consent', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildEmulator();
  });
  afterAll(() => app.close());

  /** Consent with only `ticked` left checked, then the code exchange. */
  async function grantOnly(
    params: Params,
    ticked: readonly string[],
    sub = ADA_SUB,
  ): Promise<{ callback: URLSearchParams; tokens: TokenBody }> {
    const page = await authorize(app, params);
    expect(page.statusCode).toBe(200);
    const callback = callbackOf(await allowWithScopes(app, page.body, ticked, sub)).searchParams;
    const exchange = await exchangeCode(app, String(callback.get('code')));
    expect(exchange.statusCode).toBe(200);
    return { callback, tokens: exchange.json<TokenBody>() };
  }

  it('offers each non-sign-in scope with a ticked checkbox, sign-in scopes without one', async () => {
    const page = await authorize(app, { scope: `${SIGN_IN} ${DRIVE} ${CALENDAR}` });
    expect(readConsentForm(page.body).scopeChoices).toEqual([
      { scope: DRIVE, checked: true },
      { scope: CALENDAR, checked: true },
    ]);
    expect(page.body.includes('<input type="hidden" name="scope_choice" value="shown">')).toBe(
      true,
    );
    // sign-in scopes are listed, but not as choices
    expect(page.body.includes('https://www.googleapis.com/auth/userinfo.email')).toBe(true);
  });

  it('grants only the ticked scopes, in the callback, the token, tokeninfo and refreshes', async () => {
    const { callback, tokens } = await grantOnly(
      { scope: `${SIGN_IN} ${DRIVE} ${CALENDAR}`, access_type: 'offline', login_hint: ALAN_SUB },
      [CALENDAR],
      ALAN_SUB,
    );
    const granted = scopeSet(`${OPENID_EMAIL_PROFILE} ${CALENDAR}`);
    expect(scopeSet(tokens.scope)).toEqual(granted);
    expect(String(callback.get('scope')).includes(DRIVE)).toBe(false);
    expect(String(callback.get('scope')).includes(CALENDAR)).toBe(true);
    const info = await getJson(app, `/tokeninfo?access_token=${tokens.access_token}`);
    expect(scopeSet(info.json<{ scope: string }>().scope)).toEqual(granted);
    const refreshed = await refresh(app, String(tokens.refresh_token));
    expect(scopeSet(refreshed.json<TokenBody>().scope)).toEqual(granted);
  });

  it('always grants the sign-in scopes, even with every box unticked', async () => {
    const { tokens } = await grantOnly({ scope: `${SIGN_IN} ${DRIVE} ${CALENDAR}` }, []);
    expect(tokens.scope).toBe(OPENID_EMAIL_PROFILE);
  });

  it('grants everything asked when the form carries no scope choice (scripts)', async () => {
    const callback = await obtainCode(app, { scope: `${SIGN_IN} ${DRIVE}` });
    const tokens = (await exchangeCode(app, String(callback.get('code')))).json<TokenBody>();
    expect(scopeSet(tokens.scope)).toEqual(scopeSet(`${OPENID_EMAIL_PROFILE} ${DRIVE}`));
  });

  it('asks a lone non-sign-in scope with allow and deny only', async () => {
    const page = await authorize(app, { scope: DRIVE });
    const form = readConsentForm(page.body);
    expect(form.scopeChoices).toEqual([]);
    expect(page.body.includes('name="scope_choice"')).toBe(false);
  });

  it('answers access_denied when nothing at all is granted', async () => {
    const page = await authorize(app, { scope: `${DRIVE} ${CALENDAR}` });
    const callback = callbackOf(await allowWithScopes(app, page.body, [])).searchParams;
    expect(callback.get('error')).toBe('access_denied');
    expect(callback.get('code')).toBe(null);
  });

  it('refuses a ticked scope that was not asked for', async () => {
    const page = await authorize(app, { scope: `${SIGN_IN} ${DRIVE}` });
    const response = await allowWithScopes(app, page.body, [GMAIL]);
    expect(response.statusCode).toBe(400);
    expect(response.headers.location).toBe(undefined);
    expect(response.body.includes('Error 400: invalid_request')).toBe(true);
  });

  it('keeps an unticked scope ungranted for prompt=none', async () => {
    await grantOnly({ scope: `${SIGN_IN} ${DRIVE} ${GMAIL}` }, [DRIVE]);
    const silentDrive = await authorize(app, {
      prompt: 'none',
      login_hint: ADA_SUB,
      scope: `openid ${DRIVE}`,
    });
    expect(callbackOf(silentDrive).searchParams.get('code')).toBeTruthy();
    const silentGmail = await authorize(app, {
      prompt: 'none',
      login_hint: ADA_SUB,
      scope: `openid ${GMAIL}`,
    });
    expect(callbackOf(silentGmail).searchParams.get('error')).toBe('interaction_required');
  });
});

describe('incremental authorization', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildEmulator();
  });
  afterAll(() => app.close());

  async function consentAndExchange(params: Params, ticked?: string[]): Promise<TokenBody> {
    const page = await authorize(app, params);
    const response =
      ticked === undefined
        ? await obtainAllowed(page.body)
        : await allowWithScopes(app, page.body, ticked, ADA_SUB);
    const code = String(callbackOf(response).searchParams.get('code'));
    const exchange = await exchangeCode(app, code);
    expect(exchange.statusCode).toBe(200);
    return exchange.json<TokenBody>();
  }

  async function obtainAllowed(html: string) {
    return allowWithScopes(
      app,
      html,
      readConsentForm(html).scopeChoices.map((choice) => choice.scope),
      ADA_SUB,
    );
  }

  it('unions what was granted before with what is granted now, never what was unticked', async () => {
    const first = await consentAndExchange(
      { scope: `${SIGN_IN} ${DRIVE} ${GMAIL}`, access_type: 'offline' },
      [DRIVE],
    );
    expect(scopeSet(first.scope)).toEqual(scopeSet(`${OPENID_EMAIL_PROFILE} ${DRIVE}`));
    const second = await consentAndExchange({
      scope: CALENDAR,
      include_granted_scopes: 'true',
      access_type: 'offline',
    });
    expect(scopeSet(second.scope)).toEqual(
      scopeSet(`${OPENID_EMAIL_PROFILE} ${DRIVE} ${CALENDAR}`),
    );
    // new scopes were consented: a new refresh token, for the combined authorization
    expect(second.refresh_token).toBeTruthy();
    const combined = await refresh(app, String(second.refresh_token));
    expect(scopeSet(combined.json<TokenBody>().scope)).toEqual(scopeSet(second.scope));
    // the earlier refresh token keeps the scopes of the authorization that minted it
    const earlier = await refresh(app, String(first.refresh_token));
    expect(scopeSet(earlier.json<TokenBody>().scope)).toEqual(scopeSet(first.scope));
  });

  it('without include_granted_scopes, covers only the scopes of this request', async () => {
    const narrow = await consentAndExchange({ scope: GMAIL, access_type: 'offline' });
    expect(narrow.scope).toBe(GMAIL);
    expect(narrow.refresh_token).toBeTruthy();
    expect((await refresh(app, String(narrow.refresh_token))).json<TokenBody>().scope).toBe(GMAIL);
  });

  it('mints no new refresh token when nothing new was consented', async () => {
    const again = await consentAndExchange({
      scope: CALENDAR,
      include_granted_scopes: 'true',
      access_type: 'offline',
    });
    expect(again.refresh_token).toBe(undefined);
  });
});
