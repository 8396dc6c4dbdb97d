import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, TEST_KEYRING } from './test-app.js';

/** The repository root (this file is test/support/app-process.ts). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = 'dist/src/main.js';
const READY_WITHIN_MS = 30_000;
const STOP_WITHIN_MS = 10_000;
const OUTPUT_LIMIT = 64 * 1024;

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The real app running as an OS process of its own (`node dist/src/main.js`). */
export interface AppProcess {
  /** Where it listens, e.g. http://127.0.0.1:41234. */
  url: string;
  pid: number;
  /** Resolves once the process has exited, however it ended. */
  exited: Promise<ProcessExit>;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s; resolves once it has exited. Safe to call twice. */
  stop(): Promise<ProcessExit>;
  /** Sends `signal` to this process (by the pid spawned) and resolves once it has exited. */
  kill(signal: NodeJS.Signals): Promise<ProcessExit>;
  /** The last 64 KiB of what it wrote to stdout and stderr. */
  output(): string;
}

export interface AppProcessOptions {
  databaseUrl: string;
  emulatorUrl: string;
  /** The address browsers use; give every instance behind one "balancer" the same one. */
  publicUrl: string;
  /** Shared by the instances of one deployment. */
  sessionSecret?: string;
  /** Any other variable, e.g. REFRESH_LEASE_SECONDS. */
  env?: Record<string, string>;
  /** A DATA_DIR the caller owns and keeps (to restart on it); by default a temporary one removed at exit. */
  dataDir?: string;
}

/** Every process started here and not yet exited, killed if the test runner exits first. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `node dist/src/main.js` on a free loopback port with a standalone emulator and waits until
 * GET /health/ready answers 200 (at most 30 s). The app must be built (`npm run build`; `npm test` does it first).
 */
export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  if (!existsSync(join(ROOT, MAIN))) {
    throw new Error(`${MAIN} is missing under ${ROOT}: run npm run build first`);
  }
  const port = await freePort();
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'tokenkeep-process-')));
  const removeDataDir = () =>
    ownsDataDir ? rm(dataDir, { recursive: true, force: true }) : Promise.resolve();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: options.publicUrl,
      DATABASE_URL: options.databaseUrl,
      GOOGLE_EMULATOR_URL: options.emulatorUrl,
      TOKEN_ENCRYPTION_KEYS: TEST_KEYRING,
      SESSION_SECRET: options.sessionSecret ?? randomBytes(32).toString('base64url'),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      PROACTIVE_REFRESH: 'off',
      // Storms send hundreds of requests on one session; rate limiting is tested elsewhere.
      RATE_LIMIT_GRAPHQL_PER_MINUTE: '1000000',
      RATE_LIMIT_SIGN_IN_PER_MINUTE: '1000000',
      ...options.env,
    },
  });
  if (child.pid === undefined) {
    await removeDataDir();
    throw new Error(`could not spawn ${process.execPath} ${MAIN}`);
  }
  const pid = child.pid;
  running.add(child);

  let captured = '';
  const capture = (chunk: Buffer) => {
    captured = (captured + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);
  child.on('error', (error) => capture(Buffer.from(`\n[spawn error] ${error.message}\n`)));

  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const cleanedUp = exited.then(removeDataDir);
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  const ended = async () => {
    const exit = await exited;
    await cleanedUp;
    return exit;
  };

  const kill = (signal: NodeJS.Signals): Promise<ProcessExit> => {
    if (isRunning()) child.kill(signal);
    return ended();
  };
  const stop = async (): Promise<ProcessExit> => {
    if (!isRunning()) return ended();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_WITHIN_MS);
    try {
      return await ended();
    } finally {
      clearTimeout(timer);
    }
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    await untilReady(url, exited);
  } catch (error) {
    await kill('SIGKILL');
    throw new Error(
      `the app process (pid ${pid}) did not become ready: ${(error as Error).message}\n--- its output ---\n${captured}`,
      { cause: error },
    );
  }
  return { url, pid, exited, stop, kill, output: () => captured };
}

/** Polls GET /health/ready until it answers 200, the process exits, or 30 s pass. */
async function untilReady(url: string, exited: Promise<ProcessExit>): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  let exit: ProcessExit | undefined;
  void exited.then((value) => (exit = value));
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (exit) throw new Error(`it exited early (code ${exit.code}, signal ${exit.signal})`);
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`GET /health/ready did not answer 200 within ${READY_WITHIN_MS} ms (${last})`);
}
