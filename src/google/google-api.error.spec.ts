import { describe, expect, it } from '@jest/globals';
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
      expect(error.kind).toBe(GoogleErrorKind.InvalidGrant);
      expect(error.googleCode).toBe('invalid_grant');
      expect(error.retryable).toBe(false);
    }
  });

  it('keeps error_subtype, which tells a reauthentication policy from a revocation', () => {
    const error = classifyTokenEndpointError(
      400,
      JSON.stringify({
        error: 'invalid_grant',
        error_description: 'reauth related error (invalid_rapt)',
        error_uri: 'https://support.google.com/a/answer/9368756',
        error_subtype: 'invalid_rapt',
      }),
    );
    expect(error.subtype).toBe('invalid_rapt');
    expect(classifyTokenEndpointError(400, body('invalid_grant')).subtype).toBe(undefined);
  });

  it('client errors are the operator’s problem, not a dead grant', () => {
    for (const code of ['invalid_client', 'unauthorized_client', 'deleted_client']) {
      expect(classifyTokenEndpointError(401, body(code)).kind).toBe(GoogleErrorKind.InvalidClient);
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
      expect(error.kind).toBe(GoogleErrorKind.Unavailable);
      expect(error.retryable).toBe(true);
    }
  });

  it('other JSON errors are bad responses', () => {
    expect(classifyTokenEndpointError(400, body('invalid_request')).kind).toBe(
      GoogleErrorKind.BadResponse,
    );
    expect(classifyTokenEndpointError(400, body('unsupported_grant_type')).kind).toBe(
      GoogleErrorKind.BadResponse,
    );
  });
});

describe('classifyApiError', () => {
  it('401 means the access token was refused', () => {
    expect(classifyApiError(401, body('invalid_request', 'Invalid Credentials')).kind).toBe(
      GoogleErrorKind.InvalidToken,
    );
  });

  it('5xx, 429 and HTML are transient; other JSON errors are bad responses', () => {
    expect(classifyApiError(502, body('x')).kind).toBe(GoogleErrorKind.Unavailable);
    expect(classifyApiError(429, body('x')).kind).toBe(GoogleErrorKind.Unavailable);
    expect(classifyApiError(403, '<html></html>').kind).toBe(GoogleErrorKind.Unavailable);
    expect(classifyApiError(403, body('insufficient_scope')).kind).toBe(
      GoogleErrorKind.BadResponse,
    );
  });
});
