import { z } from 'zod';
import { FAULT_ENDPOINTS, FAULT_STATUSES, type FaultSpec } from './faults.js';
import type { EmulatorClient, EmulatorUser } from './types.js';
import { INJECTABLE_TOKEN_ERRORS, type InjectableTokenError } from './token-errors.js';

/** A parsed admin request body, or the reason it was refused (one line per problem). */
export type AdminInput<T> = { value: T } | { problem: string };

function isRedirectUri(value: string): boolean {
  return URL.canParse(value) && !value.includes('#');
}

const clientSchema = z
  .object({
    client_id: z.string().trim().min(1, 'must be a non-empty string'),
    client_secret: z.string().min(1, 'must be a non-empty string'),
    redirect_uris: z
      .array(z.string().refine(isRedirectUri, 'must be an absolute URL without a fragment'))
      .min(1, 'must list at least one redirect URI'),
    publishing_status: z.enum(['testing', 'production']).optional(),
  })
  .strict();

const userSchema = z
  .object({
    sub: z
      .string()
      .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 printable ASCII characters')
      .optional(),
    email: z.string().regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address'),
    name: z.string(),
    given_name: z.string().optional(),
    family_name: z.string().optional(),
    picture: z.string().optional(),
    hd: z.string().min(1).optional(),
    email_verified: z.boolean().optional(),
  })
  .strict();

const revokeUserSchema = z
  .object({ sub: z.string().min(1).optional(), email: z.string().min(1).optional() })
  .strict()
  .refine((body) => body.sub !== undefined || body.email !== undefined, {
    message: 'give the user as sub or email',
  });

const reauthPolicySchema = z
  .object({
    sub: z.string().min(1).optional(),
    email: z.string().min(1).optional(),
    client_id: z.string().min(1).optional(),
    session_length_seconds: z
      .number()
      .int('must be a whole number of seconds')
      .min(1, 'must be at least 1 second')
      .optional(),
  })
  .strict()
  .refine((body) => body.sub !== undefined || body.email !== undefined, {
    message: 'give the user as sub or email',
  });

const settingsSchema = z
  .object({
    refresh_token_limit: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .optional(),
  })
  .strict();

const grantFilterSchema = z
  .object({ sub: z.string().min(1).optional(), client_id: z.string().min(1).optional() })
  .strict();

const tokenErrorNames = Object.keys(INJECTABLE_TOKEN_ERRORS) as [InjectableTokenError];

const faultSchema = z
  .object({
    endpoint: z.enum(FAULT_ENDPOINTS),
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    status: z.literal(FAULT_STATUSES).optional(),
    count: z.number().int().min(1).optional(),
    timeout: z.boolean().optional(),
    error: z.enum(tokenErrorNames).optional(),
    rotateRefreshTokens: z.boolean().optional(),
  })
  .strict()
  .superRefine((fault, issues) => {
    for (const problem of faultRuleProblems(fault))
      issues.addIssue({ code: 'custom', message: problem });
  });

const clockSchema = z
  .object({
    advanceSeconds: z
      .number()
      .min(0)
      .max(10 * 365 * 86_400),
  })
  .strict();

/** Combinations that would be ambiguous or could never fire. */
function faultRuleProblems(fault: FaultSpec): string[] {
  const problems: string[] = [];
  const answers = [fault.status !== undefined, fault.timeout === true, fault.error !== undefined];
  if (answers.filter(Boolean).length > 1) {
    problems.push('give at most one of status, timeout and error per fault');
  }
  const tokenOnly = fault.error !== undefined || fault.rotateRefreshTokens === true;
  if (tokenOnly && fault.endpoint !== 'token' && fault.endpoint !== '*') {
    problems.push('error and rotateRefreshTokens apply to the token endpoint only');
  }
  const hasEffect =
    answers.some(Boolean) || fault.latencyMs !== undefined || fault.rotateRefreshTokens;
  if (!hasEffect) problems.push('give latencyMs, status, timeout, error or rotateRefreshTokens');
  return problems;
}

function parseWith<S extends z.ZodType, T>(
  schema: S,
  body: unknown,
  convert: (parsed: z.output<S>) => T,
): AdminInput<T> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return { value: convert(parsed.data) };
  const lines = parsed.error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
  );
  return { problem: lines.join('; ') };
}

export function parseClient(body: unknown): AdminInput<EmulatorClient> {
  return parseWith(clientSchema, body, (client) => ({
    clientId: client.client_id,
    clientSecret: client.client_secret,
    redirectUris: client.redirect_uris,
    publishingStatus: client.publishing_status,
  }));
}

export function parseUser(body: unknown): AdminInput<Omit<EmulatorUser, 'sub'> & { sub?: string }> {
  return parseWith(userSchema, body, (user) => ({
    sub: user.sub,
    email: user.email,
    name: user.name,
    givenName: user.given_name,
    familyName: user.family_name,
    picture: user.picture,
    hd: user.hd,
    emailVerified: user.email_verified,
  }));
}

export function parseUserReference(body: unknown): AdminInput<{ sub?: string; email?: string }> {
  return parseWith(revokeUserSchema, body, (reference) => reference);
}

export interface ReauthPolicyInput {
  user: { sub?: string; email?: string };
  clientId?: string;
  sessionLengthSeconds?: number;
}

export function parseReauthPolicy(body: unknown): AdminInput<ReauthPolicyInput> {
  return parseWith(reauthPolicySchema, body, (policy) => ({
    user: { sub: policy.sub, email: policy.email },
    clientId: policy.client_id,
    sessionLengthSeconds: policy.session_length_seconds,
  }));
}

export function parseSettings(body: unknown): AdminInput<{ refreshTokenLimit?: number }> {
  return parseWith(settingsSchema, body, (settings) => ({
    refreshTokenLimit: settings.refresh_token_limit,
  }));
}

export function parseGrantFilter(query: unknown): AdminInput<{ sub?: string; clientId?: string }> {
  return parseWith(grantFilterSchema, query, (filter) => ({
    sub: filter.sub,
    clientId: filter.client_id,
  }));
}

export function parseFault(body: unknown): AdminInput<FaultSpec> {
  return parseWith(faultSchema, body, (fault) => fault);
}

export function parseClockAdvance(body: unknown): AdminInput<number> {
  return parseWith(clockSchema, body, (clock) => clock.advanceSeconds);
}

/** The user as the admin API shows it (Google's snake_case names). */
export function userView(user: EmulatorUser): Record<string, unknown> {
  return {
    sub: user.sub,
    email: user.email,
    name: user.name,
    given_name: user.givenName,
    family_name: user.familyName,
    picture: user.picture,
    hd: user.hd,
    email_verified: user.emailVerified ?? true,
  };
}
