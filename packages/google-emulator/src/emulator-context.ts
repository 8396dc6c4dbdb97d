import { EmulatorClock } from './clock.js';
import { CodeStore } from './code-store.js';
import { FaultInjector } from './faults.js';
import type { EmulatorOptions } from './types.js';
import { DEFAULT_REFRESH_TOKEN_LIMIT, GrantStore } from './grant-store.js';
import { KeyRing } from './keys.js';
import { PendingRequests } from './pending-requests.js';
import { ReauthPolicies } from './reauth-policies.js';
import { RiscTransmitter } from './risc-transmitter.js';
import { DEFAULT_USERS, Registry } from './registry.js';
import { EmulatorStats } from './stats.js';

export interface EmulatorSettings {
  issuer: string;
  accessTokenTtlSeconds: number;
  tokenMarker: string;
  log: (line: string) => void;
}

/** The whole in-memory state of one emulator instance, shared by its routes. */
export interface EmulatorContext {
  settings: EmulatorSettings;
  clock: EmulatorClock;
  registry: Registry;
  pending: PendingRequests;
  codes: CodeStore;
  grants: GrantStore;
  keys: KeyRing;
  stats: EmulatorStats;
  faults: FaultInjector;
  reauth: ReauthPolicies;
  risc: RiscTransmitter;
}

const DEFAULT_CODE_TTL_SECONDS = 60;

export async function createEmulatorContext(options: EmulatorOptions): Promise<EmulatorContext> {
  const settings = settingsFrom(options);
  const clock = new EmulatorClock();
  const stats = new EmulatorStats();
  const codeTtlSeconds = positiveSeconds(
    options.codeTtlSeconds ?? DEFAULT_CODE_TTL_SECONDS,
    'codeTtlSeconds',
  );
  const registry = new Registry(options.clients ?? [], options.users ?? DEFAULT_USERS);
  const keys = await KeyRing.generate();
  return {
    settings,
    clock,
    registry,
    pending: new PendingRequests(clock),
    codes: new CodeStore(clock, codeTtlSeconds, settings.tokenMarker),
    grants: new GrantStore(
      clock,
      settings.accessTokenTtlSeconds,
      settings.tokenMarker,
      positiveWholeNumber(
        options.refreshTokenLimit ?? DEFAULT_REFRESH_TOKEN_LIMIT,
        'refreshTokenLimit',
      ),
    ),
    keys,
    stats,
    faults: new FaultInjector(stats, settings.log),
    reauth: new ReauthPolicies(),
    risc: new RiscTransmitter({
      issuer: settings.issuer,
      clock,
      keys,
      clientIds: () => registry.listClients().map((client) => client.clientId),
      log: settings.log,
    }),
  };
}

function settingsFrom(options: EmulatorOptions): EmulatorSettings {
  if (!URL.canParse(options.issuer) || !/^https?:\/\//.test(options.issuer)) {
    throw new Error(
      `google emulator: issuer must be an absolute http(s) URL, got "${options.issuer}"`,
    );
  }
  return {
    issuer: options.issuer.replace(/\/+$/, ''),
    accessTokenTtlSeconds: positiveSeconds(options.accessTokenTtlSeconds, 'accessTokenTtlSeconds'),
    tokenMarker: options.tokenMarker ?? '',
    log: options.log ?? (() => {}),
  };
}

function positiveSeconds(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`google emulator: ${name} must be a positive number of seconds, got ${value}`);
  }
  return value;
}

function positiveWholeNumber(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`google emulator: ${name} must be a positive whole number, got ${value}`);
  }
  return value;
}
