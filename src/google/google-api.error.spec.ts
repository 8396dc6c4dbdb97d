import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classifyApiError,
  classifyTokenEndpointError,
  GoogleErrorKind,
} from './google-api.error.js';

const body = (error: string, description = 'x') =>
  JSON.stringify({ error, error_description: description });

describe('classifyTokenEndpointError', () => {
  it('invalid_grant, in every wording Google uses, is a dead grant', () => {
    for (const description of [
      'Token has been expired or revoked.',
      'Bad Request',
      'reauth related error (invalid_rapt)',
    ]) {
      const error = classifyTokenEndpointError(400, body('invalid_grant', description));
      assert.equal(error.kind, GoogleErrorKind.InvalidGrant);
      assert.equal(error.googleCode, 'invalid_grant');
      assert.equal(error.retryable, false);
    }
  });

  it('client errors are the operator’s problem, not a dead grant', () => {
    for (const code of ['invalid_client', 'unauthorized_client', 'deleted_client']) {
      assert.equal(classifyTokenEndpointError(401, body(code)).kind, GoogleErrorKind.InvalidClient);
    }
  });

  it('5xx, 429, 408 and non-JSON pages are transient', () => {
    for (const [status, text] of [
      [500, body('internal_failure')],
      [503, ''],
      [429, body('rate_limit_exceeded')],
      [408, ''],
      [403, '<html>Rate Limit Exceeded</html>'],
    ] as const) {
      const error = classifyTokenEndpointError(status, text);
      assert.equal(error.kind, GoogleErrorKind.Unavailable, `${status} ${text}`);
      assert.equal(error.retryable, true);
    }
  });

  it('other JSON errors are bad responses', () => {
    assert.equal(
      classifyTokenEndpointError(400, body('invalid_request')).kind,
      GoogleErrorKind.BadResponse,
    );
    assert.equal(
      classifyTokenEndpointError(400, body('unsupported_grant_type')).kind,
      GoogleErrorKind.BadResponse,
    );
  });
});

describe('classifyApiError', () => {
  it('401 means the access token was refused', () => {
    assert.equal(
      classifyApiError(401, body('invalid_request', 'Invalid Credentials')).kind,
      GoogleErrorKind.InvalidToken,
    );
  });

  it('5xx, 429 and HTML are transient; other JSON errors are bad responses', () => {
    assert.equal(classifyApiError(502, body('x')).kind, GoogleErrorKind.Unavailable);
    assert.equal(classifyApiError(429, body('x')).kind, GoogleErrorKind.Unavailable);
    assert.equal(classifyApiError(403, '<html></html>').kind, GoogleErrorKind.Unavailable);
    assert.equal(
      classifyApiError(403, body('insufficient_scope')).kind,
      GoogleErrorKind.BadResponse,
    );
  });
});
