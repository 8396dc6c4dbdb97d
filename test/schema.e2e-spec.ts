import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { printAppSchema } from '../src/graphql/print-schema.js';
import { withTestApp } from './support/test-app.js';

describe('the GraphQL schema', () => {
  const suite = withTestApp('sqlite');

  it('is the committed schema.gql (run `npm run schema:write` after an API change)', async () => {
    expect(printAppSchema(suite.app.app)).toBe(await readFile('schema.gql', 'utf8'));
  });

  it('has no field that could carry a refresh token or an ID token', () => {
    expect(printAppSchema(suite.app.app)).not.toMatch(
      /refreshToken\s*:\s*String|idToken|accessToken/i,
    );
  });
});
