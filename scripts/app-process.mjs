// The one launcher of the built app (`node dist/src/main.js`) as an OS process of its own, and of
// other Node scripts (the standalone emulator, the benchmark's helpers): each child is started
// with a pid, stopped by that pid (SIGTERM, then SIGKILL), and killed if this process exits first.
// Used by the tests (test/support/app-process.ts) and the benchmarks (bench/lib/processes.mjs);
// its types are in app-process.d.mts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './embedded-postgres.mjs';

/** @typedef {import('./app-process.mjs').ProcessExit} ProcessExit */
/** @typedef {import('./app-process.mjs').NodeProcess} NodeProcess */
/** @typedef {import('node:child_process').ChildProcess} ChildProcess */

export { freePort };

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MAIN = 'dist/src/main.js';
const OUTPUT_LIMIT = 64 * 1024;
const STOP_WITHIN_MS = 10_000;

/** Every child started here and not yet exited, with how to stop it. */
/** @type {Map<number, { child: ChildProcess, stop: () => Promise<ProcessExit> }>} */
const running = new Map();
process.once('exit', () => {
  for (const { child } of running.values()) child.kill('SIGKILL');
});

/** @type {typeof import('./app-process.mjs').stopAll} */
export const stopAll = async () => {
  await Promise.all([...running.values()].map(({ stop }) => stop()));
};

/** @type {typeof import('./app-process.mjs').startNode} */
export const startNode = (
  script,
  { name = script, env = {}, nodeArgs = [], args = [], ipc = false } = {},
) => {
  if (!existsSync(join(ROOT, script))) {
    throw new Error(`${script} is missing under ${ROOT}: build first (npm run build)`);
  }
  const startedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? /** @type {const} */ (['ipc']) : [])],
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${name}`);
  const pid = child.pid;

  let captured = '';
  /** @type {Set<(text: string) => void>} */
  const listeners = new Set();
  /** @param {string} text */
  const capture = (text) => {
    captured = (captured + text).slice(-OUTPUT_LIMIT);
    for (const listener of listeners) listener(text);
  };
  child.stdout?.on('data', (/** @type {Buffer} */ chunk) => capture(chunk.toString('utf8')));
  child.stderr?.on('data', (/** @type {Buffer} */ chunk) => capture(chunk.toString('utf8')));
  child.on('error', (error) => capture(`\n[spawn error] ${error.message}\n`));

  /** @type {Promise<ProcessExit>} */
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(pid);
      resolve({ code, signal });
    });
  });
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  /** @param {NodeJS.Signals} signal */
  const kill = (signal) => {
    if (isRunning()) process.kill(pid, signal);
    return exited;
  };
  const stop = async () => {
    if (!isRunning()) return exited;
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => isRunning() && process.kill(pid, 'SIGKILL'), STOP_WITHIN_MS);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  running.set(pid, { child, stop });
  return {
    name,
    pid,
    startedAt,
    exited,
    isRunning,
    stop,
    kill,
    output: () => captured,
    onOutput: (listener) => void listeners.add(listener),
    send: (message) => {
      if (!child.send) throw new Error(`${name} was started without an IPC channel`);
      child.send(/** @type {import('node:child_process').Serializable} */ (message));
    },
    onMessage: (listener) => void child.on('message', listener),
  };
};

/** @type {typeof import('./app-process.mjs').startApp} */
export const startApp = async ({
  databaseUrl,
  emulatorUrl,
  publicUrl,
  keyring,
  env = {},
  nodeArgs = [],
  dataDir: ownDataDir,
  readyWithinMs = 60_000,
  pollEveryMs = 100,
}) => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = ownDataDir ?? (await mkdtemp(join(tmpdir(), 'tokenkeep-app-')));
  const removeDataDir = () =>
    ownDataDir === undefined ? rm(dataDir, { recursive: true, force: true }) : Promise.resolve();
  /** @type {NodeProcess} */
  let proc;
  try {
    proc = startNode(MAIN, {
      name: `app:${port}`,
      nodeArgs,
      env: {
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: publicUrl ?? url,
        DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        GOOGLE_EMULATOR_URL: emulatorUrl,
        TOKEN_ENCRYPTION_KEYS: keyring,
        // Tests and benchmarks send hundreds of requests per second on one session, all from
        // 127.0.0.1: the limits are not what they look at (the rate-limit tests set their own).
        RATE_LIMIT_GRAPHQL_PER_MINUTE: '1000000',
        RATE_LIMIT_SIGN_IN_PER_MINUTE: '1000000',
        ...env,
      },
    });
  } catch (error) {
    await removeDataDir();
    throw error;
  }
  const cleanedUp = proc.exited.then(removeDataDir);
  const exited = cleanedUp.then(() => proc.exited);
  const app = {
    ...proc,
    exited,
    stop: () => proc.stop().then(() => exited),
    kill: (/** @type {NodeJS.Signals} */ signal) => proc.kill(signal).then(() => exited),
    url,
    port,
  };
  try {
    const readyMs = await untilReady(app, readyWithinMs, pollEveryMs);
    return { ...app, readyMs };
  } catch (error) {
    await app.kill('SIGKILL');
    throw new Error(
      `the app process (pid ${proc.pid}) did not become ready: ${/** @type {Error} */ (error).message}\n--- its output ---\n${proc.output()}`,
      { cause: error },
    );
  }
};

/**
 * Polls GET /health/ready until it answers 200; returns the time from spawn to that answer.
 * @param {{ url: string, startedAt: number, isRunning: () => boolean }} app
 * @param {number} withinMs
 * @param {number} everyMs
 */
async function untilReady(app, withinMs, everyMs) {
  const deadline = performance.now() + withinMs;
  let last = 'no answer yet';
  while (performance.now() < deadline) {
    if (!app.isRunning()) throw new Error('it exited before it was ready');
    try {
      const response = await fetch(`${app.url}/health/ready`, {
        signal: AbortSignal.timeout(2000),
      });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - app.startedAt;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = /** @type {Error} */ (error).message;
    }
    await sleep(everyMs);
  }
  throw new Error(`GET /health/ready did not answer 200 within ${withinMs} ms (${last})`);
}
