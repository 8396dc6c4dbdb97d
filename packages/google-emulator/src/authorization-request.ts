import type { AccessType, ChallengeMethod } from './code-store.js';
import type { Params } from './http-util.js';
import type { Registry } from './registry.js';
import { canonicalScopes, isKnownScope, parseScopeParam } from './scopes.js';

/** A validated request to the authorization endpoint. */
export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  /** The scope parameter as asked, short names included. */
  requestedScopes: string[];
  /** Canonical scopes the request asks for. */
  scopes: string[];
  accessType: AccessType;
  /** prompt=none: no page; answer from existing consent only. */
  silent: boolean;
  /** prompt=consent or approval_prompt=force. */
  consentForced: boolean;
  includeGrantedScopes: boolean;
  state?: string;
  nonce?: string;
  loginHint?: string;
  codeChallenge?: string;
  codeChallengeMethod?: ChallengeMethod;
}

/** Why Google would show its error page instead of redirecting. */
export interface PageProblem {
  status: number;
  code: string;
  description: string;
}

type Validation = { request: AuthorizationRequest } | { problem: PageProblem };

const PROMPT_VALUES = new Set(['none', 'consent', 'select_account']);

function problem(status: number, code: string, description: string): { problem: PageProblem } {
  return { problem: { status, code, description } };
}

function invalidRequest(description: string): { problem: PageProblem } {
  return problem(400, 'invalid_request', description);
}

/** Client and redirect URI first: until both are trusted, nothing may redirect. */
export function validateAuthorizationRequest(params: Params, registry: Registry): Validation {
  const clientId = params.client_id;
  if (!clientId) return invalidRequest('Missing required parameter: client_id');
  const client = registry.findClient(clientId);
  if (!client) return problem(401, 'invalid_client', 'The OAuth client was not found.');
  const redirectUri = params.redirect_uri;
  if (!redirectUri) return invalidRequest('Missing required parameter: redirect_uri');
  if (!client.redirectUris.has(redirectUri)) {
    return problem(
      400,
      'redirect_uri_mismatch',
      `The redirect URI in the request, ${redirectUri}, does not match the ones authorized for the OAuth client.`,
    );
  }
  return validateFlow(params, clientId, redirectUri);
}

function validateFlow(params: Params, clientId: string, redirectUri: string): Validation {
  const responseType = params.response_type;
  if (!responseType) return invalidRequest('Missing required parameter: response_type');
  if (responseType !== 'code') return invalidRequest(`Unsupported response_type: ${responseType}`);
  if (params.response_mode && params.response_mode !== 'query') {
    return invalidRequest(`Unsupported response_mode: ${params.response_mode}`);
  }
  const requestedScopes = parseScopeParam(params.scope);
  if (requestedScopes.length === 0) return invalidRequest('Missing required parameter: scope');
  const invalid = requestedScopes.filter((scope) => !isKnownScope(scope));
  if (invalid.length > 0) {
    const valid = requestedScopes.filter(isKnownScope);
    const description = `Some requested scopes were invalid. {valid=[${valid.join(', ')}], invalid=[${invalid.join(', ')}]}`;
    return problem(400, 'invalid_scope', description);
  }
  const prompt = parsePrompt(params);
  if ('problem' in prompt) return prompt;
  const accessType = params.access_type ?? 'online';
  if (accessType !== 'online' && accessType !== 'offline') {
    return invalidRequest(`Invalid access_type: ${accessType}`);
  }
  const pkce = parsePkce(params);
  if ('problem' in pkce) return pkce;
  return {
    request: {
      clientId,
      redirectUri,
      requestedScopes,
      scopes: canonicalScopes(requestedScopes),
      accessType,
      ...prompt,
      includeGrantedScopes: params.include_granted_scopes === 'true',
      state: params.state,
      nonce: params.nonce,
      loginHint: params.login_hint,
      ...pkce,
    },
  };
}

type PromptRules = { silent: boolean; consentForced: boolean } | { problem: PageProblem };

/** prompt (space-separated) and the deprecated approval_prompt, with Google's 2020+ rules. */
function parsePrompt(params: Params): PromptRules {
  const approvalPrompt = params.approval_prompt;
  if (approvalPrompt !== undefined && params.prompt !== undefined) {
    return invalidRequest('Conflict params: approval_prompt and prompt');
  }
  if (approvalPrompt !== undefined) {
    if (approvalPrompt !== 'force') {
      return invalidRequest(
        `Invalid parameter value for approval_prompt: '${approvalPrompt}' is not valid`,
      );
    }
    return { silent: false, consentForced: true };
  }
  const values = (params.prompt ?? '').split(' ').filter((value) => value !== '');
  const unknown = values.find((value) => !PROMPT_VALUES.has(value));
  if (unknown !== undefined) return invalidRequest(`Invalid prompt: ${unknown}`);
  if (values.includes('none') && values.length > 1) {
    return invalidRequest('Invalid prompt: none cannot be combined with other values');
  }
  return { silent: values.includes('none'), consentForced: values.includes('consent') };
}

type PkceParams =
  { codeChallenge?: string; codeChallengeMethod?: ChallengeMethod } | { problem: PageProblem };

/** Without a method the challenge is plain, as Google documents. */
function parsePkce(params: Params): PkceParams {
  const challenge = params.code_challenge;
  const method = params.code_challenge_method;
  if (challenge === undefined) {
    return method === undefined ? {} : invalidRequest('Missing required parameter: code_challenge');
  }
  if (method !== undefined && method !== 'plain' && method !== 'S256') {
    return invalidRequest(`Invalid code_challenge_method: ${method}`);
  }
  return { codeChallenge: challenge, codeChallengeMethod: method ?? 'plain' };
}
