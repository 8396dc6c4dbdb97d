import { z } from 'zod';
import type { AdminInput } from './admin-input.js';
import {
  ACCOUNT_DISABLED_REASONS,
  RISC_EVENT_TYPES,
  TOKEN_IDENTIFIER_ALGS,
  riscEventName,
  type RiscEventName,
  type TokenIdentifierAlg,
} from './risc-events.js';

const eventType = z.string().refine((type) => riscEventName(type) !== undefined, {
  message: `must be one of ${Object.keys(RISC_EVENT_TYPES).join(', ')} or their URIs`,
});

const receiverSchema = z
  .object({
    url: z.string().refine((url) => /^https?:\/\//.test(url) && URL.canParse(url), {
      message: 'must be an absolute http(s) URL',
    }),
    client_id: z.string().min(1, 'must be a non-empty string'),
    events_requested: z.array(eventType).optional(),
  })
  .strict();

const eventSchema = z
  .object({
    type: eventType,
    sub: z.string().min(1).optional(),
    email: z.string().min(1).optional(),
    client_id: z.string().min(1).optional(),
    reason: z.enum(ACCOUNT_DISABLED_REASONS).optional(),
    state: z.string().optional(),
    refresh_token: z.string().min(1).optional(),
    token_identifier_alg: z.enum(TOKEN_IDENTIFIER_ALGS).optional(),
    typ: z.string().min(1).nullable().optional(),
  })
  .strict()
  .superRefine((event, issues) => {
    for (const message of eventRuleProblems(event)) issues.addIssue({ code: 'custom', message });
  });

type EventBody = z.infer<typeof eventSchema>;

/** Which fields each event type needs or allows. */
function eventRuleProblems(event: EventBody): string[] {
  const name = riscEventName(event.type);
  if (name === undefined) return [];
  const problems: string[] = [];
  const hasUser = event.sub !== undefined || event.email !== undefined;
  if (name !== 'verification' && !hasUser) problems.push(`${name} needs the user as sub or email`);
  if ((name === 'tokens-revoked' || name === 'token-revoked') && event.client_id === undefined) {
    problems.push(`${name} needs client_id`);
  }
  if (event.reason !== undefined && name !== 'account-disabled') {
    problems.push('reason goes with account-disabled only');
  }
  if (event.state !== undefined && name !== 'verification') {
    problems.push('state goes with verification only');
  }
  const tokenFields = event.refresh_token !== undefined || event.token_identifier_alg !== undefined;
  if (tokenFields && name !== 'token-revoked') {
    problems.push('refresh_token and token_identifier_alg go with token-revoked only');
  }
  return problems;
}

export interface ReceiverInput {
  url: string;
  clientId: string;
  eventsRequested?: string[];
}

export interface RiscEventInput {
  name: RiscEventName;
  user?: { sub?: string; email?: string };
  clientId?: string;
  reason?: string;
  state?: string;
  refreshToken?: string;
  tokenIdentifierAlg: TokenIdentifierAlg;
  /** Header typ; null leaves it out; undefined: the default. */
  typ?: string | null;
}

function parsed<T>(result: z.ZodSafeParseResult<T>): { value: T } | { problem: string } {
  if (result.success) return { value: result.data };
  const lines = result.error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
  );
  return { problem: lines.join('; ') };
}

function eventUri(type: string): string {
  return RISC_EVENT_TYPES[riscEventName(type) as RiscEventName];
}

export function parseReceiver(body: unknown): AdminInput<ReceiverInput> {
  const result = parsed(receiverSchema.safeParse(body ?? {}));
  if ('problem' in result) return result;
  const receiver = result.value;
  return {
    value: {
      url: receiver.url,
      clientId: receiver.client_id,
      eventsRequested: receiver.events_requested?.map(eventUri),
    },
  };
}

export function parseRiscEvent(body: unknown): AdminInput<RiscEventInput> {
  const result = parsed(eventSchema.safeParse(body ?? {}));
  if ('problem' in result) return result;
  const event = result.value;
  const hasUser = event.sub !== undefined || event.email !== undefined;
  return {
    value: {
      name: riscEventName(event.type) as RiscEventName,
      user: hasUser ? { sub: event.sub, email: event.email } : undefined,
      clientId: event.client_id,
      reason: event.reason,
      state: event.state,
      refreshToken: event.refresh_token,
      tokenIdentifierAlg: event.token_identifier_alg ?? 'hash_base64_sha512_sha512',
      typ: event.typ,
    },
  };
}
