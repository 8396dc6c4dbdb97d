import { describeIssues, environmentSchema, type Environment } from './env-schema.js';
import { parseKeyring, type Keyring } from './keyring.js';
import { unionScopes } from '../google/scopes.js';

export type DatabaseConfig = { type: 'sqlite'; path: string } | { type: 'postgres'; url: string };

/** Where the app finds Google: the real one, the emulator mounted in this process, or a separate emulator. */
export type GoogleMode = 'google' | 'embedded-emulator' | 'external-emulator';

export interface AppConfig {
  environment: Environment['NODE_ENV'];
  isProduction: boolean;
  host: string;
  port: number;
  publicUrl: string;
  /** Fastify's trustProxy: which X-Forwarded-For hops give the client address (rate limits, logs). */
  trustProxy: boolean | number | string;
  dataDir: string;
  database: DatabaseConfig;
  google: {
    mode: GoogleMode;
    clientId: string;
    clientSecret: string;
    scopes: string[];
    /** Canonical scopes that may be asked for later (`GET /auth/google?scope=`); always holds the sign-in scopes. */
    allowedScopes: string[];
    /** A user with this many refresh tokens minted is warned about (Google keeps the newest 100). */
    refreshTokenWarnAt: number;
    /** Base URL of the emulator, when one is used; its discovery document names it as issuer. */
    emulatorUrl?: string;
    callbackUrl: string;
    /** Deadline of each HTTP call to Google. */
    httpTimeoutMs: number;
    /** When set, only verified accounts whose ID token `hd` claim is this domain may sign in. */
    allowedHostedDomain: string | null;
    /** The consent screen's publishing status: in testing, Google ends refresh tokens after 7 days. */
    publishingStatus: 'production' | 'testing';
  };
  emulator: { accessTokenTtlSeconds: number };
  tokenKeyring: Keyring;
  refreshLeewaySeconds: number;
  refresh: {
    /** Total time one refresh may take, retries included. */
    deadlineMs: number;
    /** How long a refresh lease protects its holder; a crashed holder frees it after this. */
    leaseMs: number;
    /** Quiet time after a failed refresh before any instance calls Google again for that grant. */
    failureCooldownMs: number;
    /** A forced refresh sooner than this after the last refresh answers the current status instead (0: never). */
    forcedMinIntervalMs: number;
  };
  proactiveRefresh: {
    enabled: boolean;
    intervalMs: number;
    /** Tokens expiring within this window are refreshed ahead of any request. */
    windowSeconds: number;
    batchSize: number;
    /** Grants not refreshed for this many days are refreshed anyway, so Google's six-month rule never kills them. */
    keepaliveDays: number;
  };
  /** Token events older than this many days are deleted by a periodic job. */
  tokenEventsRetentionDays: number;
  session: {
    idleTimeoutSeconds: number;
    absoluteTimeoutSeconds: number;
    cookieName: string;
    secureCookie: boolean;
  };
  /** Requests allowed per window (the names say per minute: the window is 60 s unless configured). */
  rateLimits: {
    graphqlPerMinute: number;
    signInPerMinute: number;
    /** Security event pushes to POST /risc per IP address per window. */
    riscPerMinute: number;
    windowMs: number;
    /** Counters in this Redis, shared by every instance; in process when null. */
    redisUrl: string | null;
    /** Prefix of every key in Redis, so deployments can share one server. */
    redisKeyPrefix: string;
    /** How long a request may wait for Redis before it is served without limits (fail open). */
    redisCommandTimeoutMs: number;
  };
  graphqlLimits: { maxDepth: number; maxAliases: number; maxFields: number };
  /**
   * On PostgreSQL, sessions and token rows are kept in memory while this instance has confirmed,
   * within this many ms, that it has seen every other instance's writes; ending writes (sign-out,
   * revocation) wait this long before answering. 0 turns the cache off.
   */
  cacheMaxLagMs: number;
  risc: {
    /** Security event tokens issued longer ago than this are refused; seen `jti`s are kept this long. */
    maxEventAgeSeconds: number;
    /** Google service-account key (JSON) that `npm run risc:register` signs with; null: nothing is sent. */
    serviceAccountFile: string | null;
  };
  /** /metrics: off, open, or behind `Authorization: Bearer <token>`. */
  metrics: { enabled: boolean; token: string | null };
  logLevel: Environment['LOG_LEVEL'];
}

/**
 * The configuration as read from the environment. In development the keyring may still be missing:
 * `withDevelopmentSecrets` fills it from a file under dataDir.
 */
export type ConfigDraft = Omit<AppConfig, 'tokenKeyring'> & { tokenKeyring: Keyring | null };

/** The OAuth client the emulator knows the app by when no credentials are configured. */
export const EMULATOR_CLIENT = {
  clientId: '000000000000-tokenkeep.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-tokenkeep-local-emulator',
} as const;

/** Path below the app's own URL where the embedded emulator is mounted. */
export const EMBEDDED_EMULATOR_PATH = '/__google';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the whole configuration once; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined>): ConfigDraft {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  const vars = parsed.data;
  const problems: string[] = [];
  const isProduction = vars.NODE_ENV === 'production';
  const publicUrl = vars.PUBLIC_URL ?? `http://localhost:${vars.PORT}`;
  const google = resolveGoogle(vars, publicUrl, problems);
  const tokenKeyring = resolveKeyring(vars.TOKEN_ENCRYPTION_KEYS, problems);
  if (vars.REFRESH_LEASE_SECONDS <= vars.REFRESH_DEADLINE_SECONDS) {
    problems.push(
      'REFRESH_LEASE_SECONDS must be longer than REFRESH_DEADLINE_SECONDS, so a lease outlives the refresh it protects',
    );
  }

  if (isProduction) checkProductionSettings(vars, google.mode, publicUrl, tokenKeyring, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const secure = publicUrl.startsWith('https://');
  return {
    environment: vars.NODE_ENV,
    isProduction,
    host: vars.HOST,
    port: vars.PORT,
    publicUrl,
    trustProxy: parseTrustProxy(vars.TRUST_PROXY),
    dataDir: vars.DATA_DIR,
    database: parseDatabaseUrl(vars.DATABASE_URL ?? `sqlite:${vars.DATA_DIR}/tokenkeep.sqlite`),
    google,
    emulator: { accessTokenTtlSeconds: vars.EMULATOR_ACCESS_TOKEN_TTL_SECONDS },
    tokenKeyring,
    refreshLeewaySeconds: vars.REFRESH_LEEWAY_SECONDS,
    refresh: {
      deadlineMs: vars.REFRESH_DEADLINE_SECONDS * 1000,
      leaseMs: vars.REFRESH_LEASE_SECONDS * 1000,
      failureCooldownMs: vars.REFRESH_FAILURE_COOLDOWN_SECONDS * 1000,
      forcedMinIntervalMs: vars.FORCED_REFRESH_MIN_INTERVAL_SECONDS * 1000,
    },
    proactiveRefresh: {
      enabled: vars.PROACTIVE_REFRESH === 'on',
      intervalMs: vars.PROACTIVE_REFRESH_INTERVAL_SECONDS * 1000,
      windowSeconds: vars.PROACTIVE_REFRESH_WINDOW_SECONDS,
      batchSize: vars.PROACTIVE_REFRESH_BATCH_SIZE,
      keepaliveDays: vars.GRANT_KEEPALIVE_DAYS,
    },
    tokenEventsRetentionDays: vars.TOKEN_EVENTS_RETENTION_DAYS,
    session: {
      idleTimeoutSeconds: vars.SESSION_IDLE_TIMEOUT_SECONDS,
      absoluteTimeoutSeconds: vars.SESSION_ABSOLUTE_TIMEOUT_SECONDS,
      cookieName: secure ? '__Host-tokenkeep_session' : 'tokenkeep_session',
      secureCookie: secure,
    },
    rateLimits: {
      graphqlPerMinute: vars.RATE_LIMIT_GRAPHQL_PER_MINUTE,
      signInPerMinute: vars.RATE_LIMIT_SIGN_IN_PER_MINUTE,
      riscPerMinute: vars.RATE_LIMIT_RISC_PER_MINUTE,
      windowMs: vars.RATE_LIMIT_WINDOW_SECONDS * 1000,
      redisUrl: vars.REDIS_URL ?? null,
      redisKeyPrefix: vars.REDIS_KEY_PREFIX,
      redisCommandTimeoutMs: vars.REDIS_COMMAND_TIMEOUT_MS,
    },
    cacheMaxLagMs: vars.CACHE_MAX_LAG_MS,
    graphqlLimits: {
      maxDepth: vars.GRAPHQL_MAX_DEPTH,
      maxAliases: vars.GRAPHQL_MAX_ALIASES,
      maxFields: vars.GRAPHQL_MAX_FIELDS,
    },
    risc: {
      maxEventAgeSeconds: vars.RISC_MAX_EVENT_AGE_SECONDS,
      serviceAccountFile: vars.RISC_SERVICE_ACCOUNT_FILE ?? null,
    },
    metrics: {
      // Production exposes metrics only behind a token, unless told otherwise.
      enabled:
        vars.METRICS === undefined
          ? !isProduction || vars.METRICS_TOKEN !== undefined
          : vars.METRICS === 'on',
      token: vars.METRICS_TOKEN ?? null,
    },
    logLevel: vars.LOG_LEVEL,
  };
}

function resolveGoogle(
  vars: Environment,
  publicUrl: string,
  problems: string[],
): AppConfig['google'] {
  const shared = {
    scopes: vars.GOOGLE_SCOPES.split(/\s+/),
    allowedScopes: unionScopes(vars.GOOGLE_SCOPES, vars.GOOGLE_ALLOWED_SCOPES),
    refreshTokenWarnAt: vars.REFRESH_TOKEN_BUDGET_WARN_AT,
    callbackUrl: `${publicUrl}/auth/google/callback`,
    httpTimeoutMs: vars.GOOGLE_HTTP_TIMEOUT_MS,
    allowedHostedDomain: vars.GOOGLE_ALLOWED_HOSTED_DOMAIN?.toLowerCase() ?? null,
    publishingStatus: vars.GOOGLE_APP_PUBLISHING_STATUS,
  };
  const hasId = vars.GOOGLE_CLIENT_ID !== undefined;
  const hasSecret = vars.GOOGLE_CLIENT_SECRET !== undefined;
  if (hasId !== hasSecret) {
    problems.push(
      `${hasId ? 'GOOGLE_CLIENT_SECRET' : 'GOOGLE_CLIENT_ID'} must be set together with ${hasId ? 'GOOGLE_CLIENT_ID' : 'GOOGLE_CLIENT_SECRET'}`,
    );
  }
  const credentials =
    hasId && hasSecret
      ? { clientId: vars.GOOGLE_CLIENT_ID!, clientSecret: vars.GOOGLE_CLIENT_SECRET! }
      : EMULATOR_CLIENT;

  if (vars.GOOGLE_EMULATOR_URL !== undefined) {
    if (vars.GOOGLE_EMULATOR === 'off') {
      problems.push('GOOGLE_EMULATOR_URL must be unset when GOOGLE_EMULATOR=off');
    }
    return {
      mode: 'external-emulator',
      ...credentials,
      emulatorUrl: vars.GOOGLE_EMULATOR_URL,
      ...shared,
    };
  }
  if (hasId || hasSecret)
    return {
      mode: 'google',
      ...credentials,
      ...shared,
    };
  if (vars.GOOGLE_EMULATOR === 'off') {
    problems.push(
      'GOOGLE_CLIENT_ID must be set (with GOOGLE_CLIENT_SECRET) when GOOGLE_EMULATOR=off',
    );
  }
  return {
    mode: 'embedded-emulator',
    ...credentials,
    emulatorUrl: `${publicUrl}${EMBEDDED_EMULATOR_PATH}`,
    ...shared,
  };
}

function resolveKeyring(value: string | undefined, problems: string[]): Keyring | null {
  if (value === undefined) return null;
  try {
    return parseKeyring(value);
  } catch (error) {
    problems.push(`TOKEN_ENCRYPTION_KEYS ${(error as Error).message}`);
    return null;
  }
}

function checkProductionSettings(
  vars: Environment,
  mode: GoogleMode,
  publicUrl: string,
  keyring: Keyring | null,
  problems: string[],
): void {
  const credentialsMissing =
    vars.GOOGLE_CLIENT_ID === undefined || vars.GOOGLE_CLIENT_SECRET === undefined;
  if (mode !== 'google' || credentialsMissing) {
    problems.push(
      'GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET must be real Google credentials in production (the emulator is for development)',
    );
  }
  if (!publicUrl.startsWith('https://')) {
    problems.push('PUBLIC_URL must be an https:// URL in production');
  }
  if (keyring === null && vars.TOKEN_ENCRYPTION_KEYS === undefined) {
    problems.push(
      'TOKEN_ENCRYPTION_KEYS must be set in production (id:base64-32-byte-key, current key first)',
    );
  }
  if (trustsEveryAddress(parseTrustProxy(vars.TRUST_PROXY))) {
    problems.push(
      'TRUST_PROXY must not be true (or a /0 range) in production: it believes every X-Forwarded-For entry, so any client picks its own address past every rate limit; set the hop count of your proxies (such as 1) or their addresses/CIDRs',
    );
  }
}

export function parseDatabaseUrl(url: string): DatabaseConfig {
  if (url.startsWith('sqlite:')) return { type: 'sqlite', path: url.slice('sqlite:'.length) };
  return { type: 'postgres', url };
}

/** `true`, or a range such as 0.0.0.0/0 that holds every address: anyone is a trusted proxy. */
export function trustsEveryAddress(trust: AppConfig['trustProxy']): boolean {
  return (
    trust === true ||
    (typeof trust === 'string' && trust.split(',').some((entry) => /\/0$/.test(entry.trim())))
  );
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}
