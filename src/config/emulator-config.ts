import { describeIssues, emulatorEnvironmentSchema } from './env-schema.js';
import { ConfigError } from './app-config.js';

export interface StandaloneEmulatorConfig {
  host: string;
  port: number;
  /** Base URL clients use; the discovery document names it as issuer. */
  publicUrl: string;
  accessTokenTtlSeconds: number;
  /** Embedded in every token and code issued, so leak tests can search for it. */
  tokenMarker?: string;
}

export function loadEmulatorConfig(
  env: Record<string, string | undefined>,
): StandaloneEmulatorConfig {
  const parsed = emulatorEnvironmentSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  const vars = parsed.data;
  return {
    host: vars.EMULATOR_HOST,
    port: vars.EMULATOR_PORT,
    publicUrl: vars.EMULATOR_PUBLIC_URL ?? `http://${vars.EMULATOR_HOST}:${vars.EMULATOR_PORT}`,
    accessTokenTtlSeconds: vars.EMULATOR_ACCESS_TOKEN_TTL_SECONDS,
  };
}
