import { expect } from '@jest/globals';

import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { googleEmulatorPlugin } from './google-emulator.plugin.js';
import type { EmulatorClient, EmulatorOptions } from './types.js';

export const BASE = '/__google';
export const ISSUER = `http://localhost:3000${BASE}`;
export const REDIRECT_URI = 'http://localhost:3000/auth/google/callback';
export const CLIENT: EmulatorClient = {
  clientId: '1234-test.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-test-secret',
  redirectUris: [REDIRECT_URI],
};
export const OTHER_CLIENT: EmulatorClient = {
  clientId: '5678-other.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-other-secret',
  redirectUris: [REDIRECT_URI],
};
export const ADA_SUB = '104892461539281739254';
export const ALAN_SUB = '117350929174625391823';
export const FORM = 'application/x-www-form-urlencoded';
/** The scope Google reports for `openid email profile`. */
export const OPENID_EMAIL_PROFILE =
  'https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile openid';

export type Params = Record<string, string>;

export async function buildEmulator(
  options: Partial<EmulatorOptions> = {},
): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(googleEmulatorPlugin, {
    prefix: BASE,
    issuer: ISSUER,
    accessTokenTtlSeconds: 3599,
    clients: [CLIENT, OTHER_CLIENT],
    ...options,
  });
  await app.ready();
  return app;
}

export function authorizationParams(params: Params = {}): Params {
  return {
    client_id: CLIENT.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid email profile',
    state: 'state-123',
    ...params,
  };
}

export function authorize(
  app: FastifyInstance,
  params: Params = {},
): Promise<LightMyRequestResponse> {
  const query = new URLSearchParams(authorizationParams(params));
  return app.inject({ method: 'GET', url: `${BASE}/o/oauth2/v2/auth?${query.toString()}` });
}

export interface ConsentForm {
  actionPath: string;
  requestId: string;
  checkedSub: string | undefined;
  /** The scopes offered with a checkbox (granular consent), and whether each is ticked. */
  scopeChoices: { scope: string; checked: boolean }[];
}

/** Reads the consent page the way a test script would. */
export function readConsentForm(html: string): ConsentForm {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const requestId = /name="request_id" value="([^"]+)"/.exec(html)?.[1];
  // consent page has a form with request_id
  if (!action || !requestId) throw new Error('the consent page has no form with a request_id');
  const checkedSub = /name="sub" value="([^"]+)" checked/.exec(html)?.[1];
  const scopeChoices = [
    ...html.matchAll(/<input type="checkbox" name="granted_scope" value="([^"]+)"( checked)?>/g),
  ].map((match) => ({ scope: match[1], checked: match[2] !== undefined }));
  return { actionPath: new URL(action).pathname, requestId, checkedSub, scopeChoices };
}

export async function decide(
  app: FastifyInstance,
  html: string,
  decision: 'allow' | 'deny',
  sub?: string,
): Promise<LightMyRequestResponse> {
  const form = readConsentForm(html);
  const body = new URLSearchParams({ request_id: form.requestId, decision });
  const chosen = sub ?? form.checkedSub;
  if (chosen) body.set('sub', chosen);
  return app.inject({
    method: 'POST',
    url: form.actionPath,
    headers: { 'content-type': FORM },
    payload: body.toString(),
  });
}

/**
 * Submits the consent form as a browser would with only `ticked` checkboxes still checked:
 * the hidden `scope_choice` field goes along, one `granted_scope` per ticked box.
 */
export async function allowWithScopes(
  app: FastifyInstance,
  html: string,
  ticked: readonly string[],
  sub?: string,
): Promise<LightMyRequestResponse> {
  const form = readConsentForm(html);
  const body = new URLSearchParams({ request_id: form.requestId, scope_choice: 'shown' });
  body.set('sub', sub ?? form.checkedSub ?? '');
  for (const scope of ticked) body.append('granted_scope', scope);
  body.set('decision', 'allow');
  return app.inject({
    method: 'POST',
    url: form.actionPath,
    headers: { 'content-type': FORM },
    payload: body.toString(),
  });
}

export function callbackOf(response: LightMyRequestResponse): URL {
  expect(response.statusCode).toBe(302);
  return new URL(String(response.headers.location));
}

/** Authorization request, consent (allow) and the callback's query. */
export async function obtainCode(
  app: FastifyInstance,
  params: Params = {},
  sub?: string,
): Promise<URLSearchParams> {
  const page = await authorize(app, params);
  expect(page.statusCode).toBe(200);
  return callbackOf(await decide(app, page.body, 'allow', sub)).searchParams;
}

export function postForm(
  app: FastifyInstance,
  path: string,
  params: Params,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: `${BASE}${path}`,
    headers: { 'content-type': FORM, ...headers },
    payload: new URLSearchParams(params).toString(),
  });
}

export function exchangeCode(
  app: FastifyInstance,
  code: string,
  extra: Params = {},
): Promise<LightMyRequestResponse> {
  return postForm(app, '/token', {
    grant_type: 'authorization_code',
    code,
    client_id: CLIENT.clientId,
    client_secret: CLIENT.clientSecret,
    redirect_uri: REDIRECT_URI,
    ...extra,
  });
}

export function refresh(
  app: FastifyInstance,
  refreshToken: string,
  extra: Params = {},
): Promise<LightMyRequestResponse> {
  return postForm(app, '/token', {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: CLIENT.clientId,
    client_secret: CLIENT.clientSecret,
    ...extra,
  });
}

export interface TokenBody {
  access_token: string;
  expires_in: number;
  refresh_token?: string;
  scope: string;
  token_type: string;
  id_token?: string;
}

/** Full sign-in: consent, then the code exchange; asserts success. */
export async function signIn(app: FastifyInstance, params: Params = {}): Promise<TokenBody> {
  const callback = await obtainCode(app, params);
  const response = await exchangeCode(app, String(callback.get('code')));
  expect(response.statusCode).toBe(200);
  return response.json<TokenBody>();
}

export function assertTokenError(
  response: LightMyRequestResponse,
  status: number,
  error: string,
  description: string,
): void {
  expect(response.statusCode).toBe(status);
  expect(response.json()).toEqual({ error, error_description: description });
}

export function getJson(
  app: FastifyInstance,
  path: string,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url: `${BASE}${path}`, headers });
}

export function postJson(
  app: FastifyInstance,
  path: string,
  body: unknown,
): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: `${BASE}${path}`, payload: body as object });
}
