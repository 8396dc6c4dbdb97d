import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { startAppProcess, type AppProcess } from './support/app-process.js';
import { TestBrowser } from './support/browser.js';
import { addEmulatorUser, startTestEmulator } from './support/emulator-admin.js';
import { answerConsent, openConsentPage } from './support/sign-in.js';
import {
  createTestDatabase,
  type DatabaseKind,
  type TestDatabase,
} from './support/test-database.js';

const PUBLIC_URL = 'http://sql-logging.test';

/** Makes every INSERT into users fail, so the sign-in's query fails with the user's details as parameters. */
const REFUSE_NEW_USERS: Record<DatabaseKind, string[]> = {
  sqlite: [
    "CREATE TRIGGER refuse_users BEFORE INSERT ON users BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END",
  ],
  postgres: [
    "CREATE FUNCTION refuse_users() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by the test trigger'; END $$ LANGUAGE plpgsql",
    'CREATE TRIGGER refuse_users BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION refuse_users()',
  ],
};

describe.each(['sqlite', 'postgres'] as const)('a failed query on %s', (kind) => {
  let database: TestDatabase;
  let emulator: StandaloneEmulator;
  let app: AppProcess;
  const canary = `canary${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    emulator = await startTestEmulator(3600);
    app = await startAppProcess({
      databaseUrl: database.url,
      emulatorUrl: emulator.url,
      publicUrl: PUBLIC_URL,
    });
    await addEmulatorUser(emulator.url, {
      sub: `sub-${canary}`,
      email: `${canary}@example.com`,
      name: canary,
    });
    for (const statement of REFUSE_NEW_USERS[kind]) await database.query(statement);
  });

  afterAll(async () => {
    await app?.stop();
    await emulator?.close();
    await database?.drop();
  });

  it('is logged with its SQL and without its parameters', async () => {
    const browser = new TestBrowser();
    const consent = await openConsentPage(browser, app.url);
    const callbackUrl = await answerConsent(browser, consent, 'allow', `sub-${canary}`);
    const callback = await browser.get(callbackUrl.replace(PUBLIC_URL, app.url));
    expect(callback.status).toBe(500);

    const lines = await untilLogged(app, 'INSERT INTO "users"');
    expect(lines[0]).toContain('refused by the test trigger');
    // no parameter of the statement (the user's sub, email, name) reached the log
    expect(app.output()).not.toContain(canary);
    expect(callback.body).not.toContain(canary);
    // the line was logged inside the request: it carries the id the answer echoed
    const requestId = callback.headers.get('x-request-id');
    expect(requestId).toMatch(/^[\w.-]{8,64}$/);
    expect(requestIdsOf(app, 'INSERT INTO "users"')).toContain(requestId);
  });
});

/** The messages of the log lines (pino JSON) that contain `text`, once there is one (bounded wait). */
async function untilLogged(app: AppProcess, text: string): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const messages = app
      .output()
      .split('\n')
      .map(messageOf)
      .filter((message) => message.includes(text));
    if (messages.length > 0 || Date.now() > deadline) {
      expect(messages.length).toBeGreaterThan(0);
      return messages;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The request ids (`req.id`) of the JSON log lines that contain `text`. */
function requestIdsOf(app: AppProcess, text: string): unknown[] {
  return app
    .output()
    .split('\n')
    .filter((line) => messageOf(line).includes(text))
    .map((line) => (JSON.parse(line) as { req?: { id?: unknown } }).req?.id);
}

/** A JSON log line as the strings it carries, nested ones included; any other line as it is. */
function messageOf(line: string): string {
  try {
    return stringsIn(JSON.parse(line)).join(' ');
  } catch {
    return line;
  }
}

function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(stringsIn);
}
