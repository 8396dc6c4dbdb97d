import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { printAppSchema } from '../src/graphql/print-schema.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

describe('the GraphQL schema', () => {
  let database: TestDatabase;
  let app: TestApp;

  before(async () => {
    database = await createTestDatabase('sqlite');
    app = await startTestApp(database);
  });

  after(async () => {
    await app?.stop();
    await database?.drop();
  });

  it('is the committed schema.gql (run `npm run schema:write` after an API change)', async () => {
    assert.equal(printAppSchema(app.app), await readFile('schema.gql', 'utf8'));
  });

  it('has no field that could carry a refresh token or an ID token', () => {
    assert.doesNotMatch(printAppSchema(app.app), /refreshToken\s*:\s*String|idToken|accessToken/i);
  });
});
