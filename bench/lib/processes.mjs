// Child processes of the benchmark (the standalone emulator, app instances): started with a pid,
// stopped by that pid (SIGTERM, then SIGKILL), and killed if the runner exits first.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../scripts/embedded-postgres.mjs';

export { freePort };

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUTPUT_LIMIT = 64 * 1024;
const STOP_WITHIN_MS = 10_000;

/** Every child started and not yet exited. */
const running = new Map();
process.once('exit', () => {
  for (const child of running.values()) child.kill('SIGKILL');
});

/** Stops every child still running (each by its own pid). */
export async function stopAll() {
  await Promise.all([...running.values()].map((child) => child.benchStop()));
}

function requireBuilt(relative) {
  if (!existsSync(join(ROOT, relative))) {
    throw new Error(`${relative} is missing: build first (npm run build)`);
  }
}

/** Spawns `node <script>` with exactly `env` (plus PATH) and tracks it. */
function startNode(name, script, env) {
  requireBuilt(script);
  const startedAt = performance.now();
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${name}`);
  const pid = child.pid;
  running.set(pid, child);
  let captured = '';
  const listeners = new Set();
  const capture = (chunk) => {
    const text = chunk.toString('utf8');
    captured = (captured + text).slice(-OUTPUT_LIMIT);
    for (const listener of listeners) listener(text);
  };
  child.stdout.on('data', capture);
  child.stderr.on('data', capture);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(pid);
      resolve({ code, signal });
    });
  });
  const isRunning = () => child.exitCode === null && child.signalCode === null;
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
  child.benchStop = stop;
  return {
    name,
    pid,
    startedAt,
    exited,
    isRunning,
    stop,
    output: () => captured,
    onOutput: (listener) => listeners.add(listener),
  };
}

/** The standalone Google emulator on a free loopback port. */
export async function startEmulator({ accessTokenTtlSeconds = 3599 } = {}) {
  const proc = startNode('emulator', 'packages/google-emulator/dist/standalone.js', {
    EMULATOR_HOST: '127.0.0.1',
    EMULATOR_PORT: '0',
    EMULATOR_ACCESS_TOKEN_TTL_SECONDS: String(accessTokenTtlSeconds),
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the emulator did not start within 15 s')),
      15_000,
    );
    const check = () => {
      const match = /Google emulator listening on (http:\/\/\S+)/.exec(proc.output());
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    proc.onOutput(check);
    check();
    void proc.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited (${code ?? signal}): ${proc.output()}`));
    });
  }).catch(async (error) => {
    await proc.stop();
    throw error;
  });
  return { ...proc, url };
}

/**
 * One app instance: `node dist/src/main.js` on a free loopback port, ready when GET /health/ready
 * answers 200. `readyMs` is the time from spawn to that first 200.
 */
export async function startApp({
  databaseUrl,
  emulatorUrl,
  publicUrl,
  keyring,
  sessionSecret,
  env = {},
}) {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'tokenkeep-bench-app-'));
  const url = `http://127.0.0.1:${port}`;
  const proc = startNode(`app:${port}`, 'dist/src/main.js', {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: publicUrl ?? url,
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    GOOGLE_EMULATOR_URL: emulatorUrl,
    TOKEN_ENCRYPTION_KEYS: keyring,
    SESSION_SECRET: sessionSecret,
    LOG_LEVEL: 'info',
    // Benchmarks send thousands of requests per second on one session, all from 127.0.0.1; the
    // limiter is not what is measured. Its in-memory store keeps one timestamp per hit within the
    // window and filters them on every request, so the window is 1 s: each key then holds about
    // as many entries as it would in production with the default 600 per minute.
    RATE_LIMIT_GRAPHQL_PER_MINUTE: '1000000',
    RATE_LIMIT_SIGN_IN_PER_MINUTE: '1000000',
    RATE_LIMIT_WINDOW_SECONDS: '1',
    ...env,
  });
  void proc.exited.then(() => rm(dataDir, { recursive: true, force: true }));
  try {
    const readyMs = await untilReady(url, proc);
    return { ...proc, url, port, readyMs };
  } catch (error) {
    await proc.stop();
    throw new Error(`${error.message}\n--- app output ---\n${proc.output()}`);
  }
}

async function untilReady(url, proc, withinMs = 60_000) {
  const deadline = performance.now() + withinMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    if (!proc.isRunning()) throw new Error('the app exited before it was ready');
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - proc.startedAt;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error.message;
    }
    await sleep(10);
  }
  throw new Error(`the app was not ready within ${withinMs} ms (${last})`);
}

/** Resident memory of a process in bytes, from /proc (Linux). */
export function residentBytes(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    return Number.isFinite(kb) ? kb * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples RSS every `everyMs` until stopped; returns { maxBytes, meanBytes, samples }. */
export function sampleResident(pid, everyMs = 100) {
  const samples = [];
  const take = () => {
    const bytes = residentBytes(pid);
    if (bytes !== null) samples.push(bytes);
  };
  take();
  const timer = setInterval(take, everyMs);
  return () => {
    clearInterval(timer);
    take();
    return {
      maxBytes: Math.max(...samples),
      meanBytes: samples.reduce((a, b) => a + b, 0) / samples.length,
      samples: samples.length,
    };
  };
}

export function newKeyring() {
  return `bench:${randomBytes(32).toString('base64')}`;
}

export function newSessionSecret() {
  return randomBytes(32).toString('base64url');
}

/** Runs bench/naive-client.mjs in a process of its own and returns its result (at most `withinMs`). */
export async function runNaiveClient(config, withinMs = 120_000) {
  const { fork } = await import('node:child_process');
  const child = fork(join(ROOT, 'bench/naive-client.mjs'), [], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { PATH: process.env.PATH ?? '' },
  });
  const pid = child.pid;
  running.set(pid, child);
  child.benchStop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
  };
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4096)));
  child.once('exit', () => running.delete(pid));
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`naive client timed out after ${withinMs} ms`)),
        withinMs,
      );
      child.once('message', (message) => {
        clearTimeout(timer);
        if (message.error) reject(new Error(`naive client: ${message.error}`));
        else resolve(message.result);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`naive client exited (${code ?? signal}) without a result: ${stderr}`));
      });
      child.send(config);
    });
  } finally {
    await child.benchStop();
  }
}
