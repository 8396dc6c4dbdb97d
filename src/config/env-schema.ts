import { z } from 'zod';

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const wholeSeconds = (fallback: number, min: number, max: number) =>
  z.coerce
    .number({ error: `must be a whole number of seconds from ${min} to ${max}` })
    .int(`must be a whole number of seconds from ${min} to ${max}`)
    .min(min, `must be a whole number of seconds from ${min} to ${max}`)
    .max(max, `must be a whole number of seconds from ${min} to ${max}`)
    .default(fallback);

const count = (fallback: number, min: number, max: number) =>
  z.coerce
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be a whole number from ${min} to ${max}`)
    .max(max, `must be a whole number from ${min} to ${max}`)
    .default(fallback);

const port = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a port number from 0 to 65535' })
    .int('must be a port number from 0 to 65535')
    .min(0, 'must be a port number from 0 to 65535')
    .max(65535, 'must be a port number from 0 to 65535')
    .default(fallback);

const httpUrl = z
  .string()
  .trim()
  .refine((value) => /^https?:\/\/[^/]+/.test(value) && URL.canParse(value), {
    message: 'must be an absolute http(s) URL such as http://localhost:3000',
  })
  .transform((value) => value.replace(/\/+$/, ''));

/** Every environment variable the service reads, with its default and what it must look like. */
export const environmentSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], {
      error: 'must be development, production or test',
    })
    .default('development'),
  HOST: z.string().trim().min(1, 'must be a host name or address').default('127.0.0.1'),
  PORT: port(3000),
  PUBLIC_URL: httpUrl.optional(),
  TRUST_PROXY: z
    .string()
    .trim()
    .refine((value) => /^(false|true|\d{1,2}|[0-9a-fA-F:.,/ ]+)$/.test(value), {
      message:
        'must be false, true, a hop count such as 1, or comma-separated proxy addresses/CIDRs',
    })
    .default('false'),
  DATA_DIR: z.string().trim().min(1, 'must be a folder path').default('data'),
  DATABASE_URL: z
    .string()
    .trim()
    .refine((value) => /^sqlite:.+/.test(value) || /^postgres(ql)?:\/\/.+/.test(value), {
      message: 'must be sqlite:<file path> or postgres://user@host:port/database',
    })
    .optional(),
  GOOGLE_CLIENT_ID: optionalText,
  GOOGLE_CLIENT_SECRET: optionalText,
  GOOGLE_SCOPES: z
    .string()
    .trim()
    .refine((value) => /^openid( |$)/.test(value), {
      message: 'must be a space-separated scope list starting with openid',
    })
    .default('openid email profile'),
  GOOGLE_ALLOWED_SCOPES: optionalText.refine(
    (value) =>
      value === undefined || /^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(value.replace(/\s+/g, ' ')),
    { message: 'must be a space-separated scope list' },
  ),
  REFRESH_TOKEN_BUDGET_WARN_AT: count(90, 1, 100),
  GOOGLE_ALLOWED_HOSTED_DOMAIN: optionalText.refine(
    (value) => value === undefined || /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(value),
    {
      message: 'must be a domain name such as example.com',
    },
  ),
  GOOGLE_APP_PUBLISHING_STATUS: z
    .enum(['production', 'testing'], {
      error: "must be production or testing (the OAuth consent screen's publishing status)",
    })
    .default('production'),
  GOOGLE_EMULATOR: z
    .enum(['auto', 'off'], {
      error: 'must be auto (use the emulator when no Google credentials are set) or off',
    })
    .default('auto'),
  GOOGLE_EMULATOR_URL: httpUrl.optional(),
  EMULATOR_ACCESS_TOKEN_TTL_SECONDS: wholeSeconds(3599, 1, 86400),
  GOOGLE_HTTP_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a whole number of milliseconds from 100 to 60000' })
    .int('must be a whole number of milliseconds from 100 to 60000')
    .min(100, 'must be a whole number of milliseconds from 100 to 60000')
    .max(60000, 'must be a whole number of milliseconds from 100 to 60000')
    .default(5000),
  TOKEN_ENCRYPTION_KEYS: optionalText,
  REFRESH_LEEWAY_SECONDS: wholeSeconds(60, 0, 3000),
  REFRESH_DEADLINE_SECONDS: wholeSeconds(10, 1, 120),
  REFRESH_LEASE_SECONDS: wholeSeconds(15, 2, 300),
  REFRESH_FAILURE_COOLDOWN_SECONDS: wholeSeconds(10, 0, 3600),
  FORCED_REFRESH_MIN_INTERVAL_SECONDS: wholeSeconds(30, 0, 3600),
  PROACTIVE_REFRESH: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  PROACTIVE_REFRESH_INTERVAL_SECONDS: wholeSeconds(30, 1, 3600),
  PROACTIVE_REFRESH_WINDOW_SECONDS: wholeSeconds(300, 1, 86400),
  PROACTIVE_REFRESH_BATCH_SIZE: count(100, 1, 10_000),
  GRANT_KEEPALIVE_DAYS: wholeSeconds(30, 1, 170),
  TOKEN_EVENTS_RETENTION_DAYS: count(90, 1, 36_500),
  SESSION_IDLE_TIMEOUT_SECONDS: wholeSeconds(24 * 3600, 60, 365 * 86400),
  SESSION_ABSOLUTE_TIMEOUT_SECONDS: wholeSeconds(7 * 86400, 60, 365 * 86400),
  RATE_LIMIT_GRAPHQL_PER_MINUTE: count(600, 1, 1_000_000),
  RATE_LIMIT_SIGN_IN_PER_MINUTE: count(30, 1, 1_000_000),
  RATE_LIMIT_WINDOW_SECONDS: wholeSeconds(60, 1, 3600),
  RATE_LIMIT_RISC_PER_MINUTE: count(60, 1, 1_000_000),
  RISC_MAX_EVENT_AGE_SECONDS: wholeSeconds(3600, 60, 7 * 86400),
  RISC_SERVICE_ACCOUNT_FILE: optionalText,
  REDIS_URL: optionalText.refine(
    (value) => value === undefined || /^rediss?:\/\/[^/]/.test(value),
    'must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379',
  ),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[\w:.-]{1,64}$/, 'must be 1 to 64 letters, digits or _ : . -')
    .default('tokenkeep:'),
  REDIS_COMMAND_TIMEOUT_MS: count(250, 10, 10_000),
  CACHE_MAX_LAG_MS: count(200, 0, 5_000),
  GRAPHQL_MAX_DEPTH: count(8, 2, 50),
  GRAPHQL_MAX_ALIASES: count(15, 0, 1000),
  GRAPHQL_MAX_FIELDS: count(200, 10, 10_000),
  METRICS: z.enum(['on', 'off'], { error: 'must be on or off' }).optional(),
  METRICS_TOKEN: optionalText.refine((value) => value === undefined || value.length >= 16, {
    message: 'must be at least 16 characters',
  }),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
});

export type Environment = z.infer<typeof environmentSchema>;

/** Turns zod issues into one line per variable: `NAME must ...`. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || 'environment'} ${issue.message}`);
}
