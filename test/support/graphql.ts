import { expect } from '@jest/globals';

import type { TestBrowser } from './browser.js';
import { expectPresent } from './expect-present.js';

export interface GraphqlAnswer<Data> {
  status: number;
  data: Data | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** Sends one GraphQL operation as the browser (its cookies), or with a bearer session token. */
export async function graphql<Data = Record<string, unknown>>(
  browser: TestBrowser,
  appUrl: string,
  query: string,
  bearer?: string,
): Promise<GraphqlAnswer<Data>> {
  const response = await browser.postJson(
    `${appUrl}/graphql`,
    { query },
    bearer ? { authorization: `Bearer ${bearer}` } : {},
  );
  const body = JSON.parse(response.body) as Omit<GraphqlAnswer<Data>, 'status'>;
  return { status: response.status, data: body.data ?? null, errors: body.errors };
}

/** The data of an operation that must succeed. */
export async function graphqlData<Data = Record<string, unknown>>(
  browser: TestBrowser,
  appUrl: string,
  query: string,
  bearer?: string,
): Promise<Data> {
  const answer = await graphql<Data>(browser, appUrl, query, bearer);
  expect(answer.errors).toBe(undefined);
  expectPresent(answer.data);
  return answer.data;
}

/** The `extensions.code` of an operation that must fail. */
export async function graphqlErrorCode(
  browser: TestBrowser,
  appUrl: string,
  query: string,
): Promise<{ code: unknown; extensions: Record<string, unknown> }> {
  const answer = await graphql(browser, appUrl, query);
  expectPresent(answer.errors?.[0]);
  const extensions = answer.errors[0].extensions ?? {};
  return { code: extensions.code, extensions };
}

export const ME = '{ me { email } }';
export const PROFILE = '{ profile { sub name email emailVerified givenName familyName } }';
export const TOKEN_STATUS =
  '{ tokenStatus { state scopes expiresAt expiresInSeconds hasRefreshToken lastRefreshedAt refreshCount } }';
export const VALIDATE_TOKEN =
  '{ validateToken { valid reason expiresInSeconds scopes audience audienceMatches email accessType } }';
export const REFRESH_TOKEN =
  'mutation { refreshToken { state refreshCount expiresAt lastRefreshedAt } }';
