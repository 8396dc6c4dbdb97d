import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/chromium.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const ARTIFACTS = 'test/artifacts';

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
}

/** Types `prefix` in the focused editor and accepts the completion it offers first. */
async function complete(page: Page, prefix: string, expected: string): Promise<void> {
  await page.keyboard.type(prefix);
  const offered = page.locator('.CodeMirror-hint-active');
  await offered.waitFor();
  expect(await offered.innerText()).toBe(expected);
  await page.keyboard.press('Enter');
  await offered.waitFor({ state: 'detached' });
}

/** The text of GraphiQL's query editor, spaces collapsed. */
async function queryEditorText(page: Page): Promise<string> {
  const lines = await page.locator('.graphiql-query-editor .CodeMirror-line').allInnerTexts();
  // CodeMirror draws an empty line as a zero-width space.
  return lines
    .join(' ')
    .replace(/[\s\u200b]+/g, ' ')
    .trim();
}

describe('the whole flow in a real browser', () => {
  let database: TestDatabase;
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    database = await createTestDatabase('sqlite');
    app = await startTestApp(database);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await database?.drop();
  });

  it('signs in on the consent page, runs profile and refreshToken in the playground, and signs out', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${app.url}/`);
    await shot(page, '01-signed-out');
    await page.click('#sign-in');
    await page.waitForSelector('button[value="allow"]');
    await shot(page, '02-consent');
    await page.click('button[value="allow"]');
    await page.waitForSelector('#token-status');
    expect((await page.textContent('h1')) ?? '').toMatch(/Signed in as Ada Lovelace/);
    expect((await page.textContent('#token-status')) ?? '').toMatch(/ACTIVE/);
    await shot(page, '03-signed-in');

    await page.click('#operations a:text-is("profile")');
    await page.waitForSelector('.graphiql-execute-button');
    await page.click('.graphiql-execute-button');
    await page.locator('.graphiql-response', { hasText: 'ada@example.com' }).waitFor();
    await shot(page, '04-playground-profile');

    await page.goto(`${app.url}/`);
    await page.click('#operations a:text-is("refreshToken")');
    await page.waitForSelector('.graphiql-execute-button');
    await page.click('.graphiql-execute-button');
    await page.locator('.graphiql-response', { hasText: /"refreshCount":\s*1/ }).waitFor();
    await shot(page, '05-playground-refresh');

    await page.goto(`${app.url}/`);
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in');
    await shot(page, '06-signed-out-again');
  });

  it('lists Query and Mutation in the playground’s Docs pane, and runs a query written with completion', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${app.url}/`);
    await page.click('#sign-in');
    await page.click('button[value="allow"]');
    await page.waitForSelector('#token-status');

    await page.goto(`${app.url}/playground`);
    await page.click('button[aria-label="Show Documentation Explorer"]');
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('mutation: Mutation').waitFor();
    await docs.getByText('query: Query').waitFor();
    await docs.locator('a', { hasText: /^Query$/ }).click();
    await docs.getByText('validateToken: TokenValidation!').waitFor();
    await shot(page, '08-playground-docs');

    await page.click('.graphiql-query-editor .CodeMirror');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await complete(page, '{ valid', 'validateToken');
    await complete(page, ' { val', 'valid');
    await shot(page, '09-playground-completed');
    expect(await queryEditorText(page)).toBe('{ validateToken { valid}}');

    await page.click('.graphiql-execute-button');
    await page.locator('.graphiql-response', { hasText: /"valid":\s*true/ }).waitFor();
    await shot(page, '10-playground-completed-result');
  });

  it('a denied consent ends on a clear error page', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${app.url}/`);
    await page.click('#sign-in');
    await page.waitForSelector('button[value="deny"]');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/auth/google/callback')),
      page.click('button[value="deny"]'),
    ]);
    expect(response.status()).toBe(403);
    expect((await page.textContent('body')) ?? '').toMatch(/Sign-in was cancelled/);
    await shot(page, '07-denied');
  });
});
