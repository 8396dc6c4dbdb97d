import { z } from 'zod';

export interface StandaloneEmulatorConfig {
  host: string;
  port: number;
  /** Base URL clients use; the discovery document names it as issuer. */
  publicUrl: string;
  accessTokenTtlSeconds: number;
  /** Embedded in every token and code issued, so leak tests can search for it. */
  tokenMarker?: string;
}

/** A bad EMULATOR_* variable: one line per problem, naming the variable. */
export class EmulatorConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'EmulatorConfigError';
  }
}

const PORT_MESSAGE = 'must be a port number from 0 to 65535';
const TTL_MESSAGE = 'must be a whole number of seconds from 1 to 86400';

const environmentSchema = z.object({
  EMULATOR_HOST: z.string().trim().min(1, 'must be a host name or address').default('127.0.0.1'),
  EMULATOR_PORT: z.coerce
    .number({ error: PORT_MESSAGE })
    .int(PORT_MESSAGE)
    .min(0, PORT_MESSAGE)
    .max(65535, PORT_MESSAGE)
    .default(4000),
  EMULATOR_PUBLIC_URL: z
    .string()
    .trim()
    .refine((value) => /^https?:\/\/[^/]+/.test(value) && URL.canParse(value), {
      message: 'must be an absolute http(s) URL such as http://127.0.0.1:4000',
    })
    .transform((value) => value.replace(/\/+$/, ''))
    .optional(),
  EMULATOR_ACCESS_TOKEN_TTL_SECONDS: z.coerce
    .number({ error: TTL_MESSAGE })
    .int(TTL_MESSAGE)
    .min(1, TTL_MESSAGE)
    .max(86400, TTL_MESSAGE)
    .default(3599),
});

/** The standalone emulator's settings from EMULATOR_* variables. */
export function loadEmulatorConfig(
  env: Record<string, string | undefined>,
): StandaloneEmulatorConfig {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new EmulatorConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`),
    );
  }
  const vars = parsed.data;
  return {
    host: vars.EMULATOR_HOST,
    port: vars.EMULATOR_PORT,
    publicUrl: vars.EMULATOR_PUBLIC_URL ?? `http://${vars.EMULATOR_HOST}:${vars.EMULATOR_PORT}`,
    accessTokenTtlSeconds: vars.EMULATOR_ACCESS_TOKEN_TTL_SECONDS,
  };
}
