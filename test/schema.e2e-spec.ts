import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { printAppSchema } from '../src/graphql/print-schema.js';
import { withTestApp } from './support/test-app.js';

describe('the GraphQL schema', () => {
  const suite = withTestApp('sqlite');

  it('is the committed schema.gql (run `npm run schema:write` after an API change)', async () => {
    assert.equal(printAppSchema(suite.app.app), await readFile('schema.gql', 'utf8'));
  });

  it('has no field that could carry a refresh token or an ID token', () => {
    assert.doesNotMatch(
      printAppSchema(suite.app.app),
      /refreshToken\s*:\s*String|idToken|accessToken/i,
    );
  });
});
