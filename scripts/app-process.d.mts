// Types of scripts/app-process.mjs, the one launcher of `node dist/src/main.js` (and of other Node
// scripts) shared by the tests (test/support/app-process.ts) and the benchmarks (bench/).
// The .mjs is type-checked against this file (bench/tsconfig.json includes it).

/** The repository root. */
export const ROOT: string;

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeProcessOptions {
  /** For messages and errors; the script's name by default. */
  name?: string;
  /** The whole environment of the child besides PATH: nothing else is inherited. */
  env?: Record<string, string>;
  /** Options for node itself, before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Arguments of the script, after it. */
  args?: string[];
  /** Opens an IPC channel (send / onMessage). */
  ipc?: boolean;
}

/** A child `node <script>`, tracked by the pid it got and killed if this process exits first. */
export interface NodeProcess {
  name: string;
  pid: number;
  /** performance.now() when it was spawned. */
  startedAt: number;
  /** Resolves once the process has exited (and its data folder, if any, is removed). */
  exited: Promise<ProcessExit>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s; resolves once it has exited. Safe to call twice. */
  stop(): Promise<ProcessExit>;
  /** Sends `signal` to this process (by the pid spawned) and resolves once it has exited. */
  kill(signal: NodeJS.Signals): Promise<ProcessExit>;
  /** The last 64 KiB of what it wrote to stdout and stderr. */
  output(): string;
  /** Called with every chunk it writes to stdout or stderr from now on. */
  onOutput(listener: (text: string) => void): void;
  /** Over the IPC channel (started with `ipc: true`). */
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
}

export interface AppProcessOptions {
  databaseUrl: string;
  emulatorUrl: string;
  /** The address browsers use; give every instance behind one "balancer" the same one. Its own URL by default. */
  publicUrl?: string;
  /** TOKEN_ENCRYPTION_KEYS: shared by the instances of one deployment. */
  keyring: string;
  /** Any other variable (NODE_ENV, LOG_LEVEL, REFRESH_LEASE_SECONDS...); these win over the defaults. */
  env?: Record<string, string>;
  /** Options for node itself (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** A DATA_DIR the caller owns and keeps (to restart on it); by default a temporary one removed at exit. */
  dataDir?: string;
  /** How long GET /health/ready may take to answer 200 (30 s by default). */
  readyWithinMs?: number;
  /** How often it is polled until then (100 ms by default). */
  pollEveryMs?: number;
}

/** The real app running as an OS process of its own (`node dist/src/main.js`). */
export interface AppProcess extends NodeProcess {
  /** Where it listens, e.g. http://127.0.0.1:41234. */
  url: string;
  port: number;
  /** From spawn to the first 200 from GET /health/ready. */
  readyMs: number;
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number>;

/** Spawns `node [nodeArgs] <script> [args]` (relative to ROOT) with exactly `env` plus PATH. */
export function startNode(script: string, options?: NodeProcessOptions): NodeProcess;

/**
 * Starts `node dist/src/main.js` on a free loopback port with a data folder of its own (removed
 * when it exits) and waits until GET /health/ready answers 200. Build first (`npm run build`).
 */
export function startApp(options: AppProcessOptions): Promise<AppProcess>;

/** Stops every child still running, each by its own pid. */
export function stopAll(): Promise<void>;
