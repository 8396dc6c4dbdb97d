// The benchmark's child processes (the standalone emulator, app instances, the raw baselines, the
// naive client), all started by the shared launcher scripts/app-process.mjs, and what /proc says
// about them (resident memory, CPU time).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, startApp as launchApp, startNode, stopAll } from '../../scripts/app-process.mjs';

/** @typedef {import('../../scripts/app-process.mjs').NodeProcess} NodeProcess */
/** @typedef {import('../../scripts/app-process.mjs').AppProcess} AppProcess */
/** @typedef {NodeProcess & { url: string }} ListeningProcess */

/**
 * What every instance of one run shares: its database, emulator, public address and secrets.
 * @typedef {object} AppOptions
 * @property {string} databaseUrl
 * @property {string} emulatorUrl
 * @property {string} publicUrl
 * @property {string} keyring
 * @property {Record<string, string>} [env]
 */

export { ROOT, stopAll };

/** Where the app instances write a CPU profile each when they exit (BENCH_CPU_PROF=dir), or null. */
export const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF
  ? resolve(process.env.BENCH_CPU_PROF)
  : null;

/** Node options of an app instance: --cpu-prof when BENCH_CPU_PROF names a folder. */
function appNodeArgs() {
  if (!CPU_PROFILE_DIR) return [];
  // Nest's shutdown hook ends the process by re-raising SIGTERM, and a process killed by a signal
  // writes no profile: this preload turns that second signal into process.exit().
  const exitOnSignal = fileURLToPath(new URL('./exit-on-signal.mjs', import.meta.url));
  return ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`, `--import=${exitOnSignal}`];
}

/**
 * Resolves with the URL a child prints as `<what> listening on <url>` (at most 15 s).
 * @param {NodeProcess} proc
 * @param {string} what
 * @returns {Promise<ListeningProcess>}
 */
async function listening(proc, what) {
  const pattern = new RegExp(`${what} listening on (http://\\S+)`);
  try {
    const url = await /** @type {Promise<string>} */ (
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${proc.name} did not start within 15 s`)),
          15_000,
        );
        const check = () => {
          const match = pattern.exec(proc.output());
          if (match) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        };
        proc.onOutput(check);
        check();
        void proc.exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`${proc.name} exited (${code ?? signal}): ${proc.output()}`));
        });
      })
    );
    return { ...proc, url };
  } catch (error) {
    await proc.stop();
    throw error;
  }
}

/** The standalone Google emulator on a free loopback port. */
export function startEmulator({ accessTokenTtlSeconds = 3599 } = {}) {
  const proc = startNode('packages/google-emulator/dist/standalone.js', {
    name: 'emulator',
    env: {
      EMULATOR_HOST: '127.0.0.1',
      EMULATOR_PORT: '0',
      EMULATOR_ACCESS_TOKEN_TTL_SECONDS: String(accessTokenTtlSeconds),
    },
  });
  return listening(proc, 'Google emulator');
}

/**
 * One of the raw baselines of bench/raw-server.mjs: `json` answers a small JSON body, `proxy`
 * fetches the emulator's userinfo with `accessToken` for every request.
 * @param {'json' | 'proxy'} kind
 * @param {{ email?: string, emulatorUrl?: string, accessToken?: string }} config
 */
export function startRawServer(kind, { email = '', emulatorUrl = '', accessToken = '' }) {
  const proc = startNode('bench/raw-server.mjs', {
    name: `raw ${kind}`,
    env: {
      RAW_KIND: kind,
      RAW_EMAIL: email,
      RAW_EMULATOR_URL: emulatorUrl,
      RAW_ACCESS_TOKEN: accessToken,
    },
  });
  return listening(proc, `raw ${kind}`);
}

/**
 * One app instance on a free loopback port, ready when GET /health/ready answers 200. `readyMs`
 * is the time from spawn to that first 200 (polled every 10 ms).
 * @param {AppOptions} options
 */
export function startApp({ env = {}, ...options }) {
  return launchApp({
    ...options,
    nodeArgs: appNodeArgs(),
    readyWithinMs: 60_000,
    pollEveryMs: 10,
    env: {
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      PROACTIVE_REFRESH: 'off',
      // The limiter is not what is measured (the launcher lifts the limits). Its in-memory store
      // keeps one timestamp per hit within the window and filters them on every request, so the
      // window is 1 s: each key then holds about as many entries as it would in production with
      // the default 600 per minute.
      RATE_LIMIT_WINDOW_SECONDS: '1',
      ...env,
    },
  });
}

/**
 * Resident memory of a process in bytes, from /proc (Linux).
 * @param {number} pid
 */
export function residentBytes(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    return Number.isFinite(kb) ? kb * 1024 : null;
  } catch {
    return null;
  }
}

/** Clock ticks per second of /proc/<pid>/stat (getconf CLK_TCK; 100 almost everywhere). */
export const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time a process has used so far, user + system, all its threads, in clock ticks (Linux).
 * @param {number} pid
 */
export function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * Samples RSS every `everyMs` until stopped.
 * @param {number} pid
 * @returns {() => { maxBytes: number, meanBytes: number, samples: number }}
 */
export function sampleResident(pid, everyMs = 100) {
  /** @type {number[]} */
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

/**
 * Runs bench/naive-client.mjs in a process of its own and returns its result (at most `withinMs`).
 * @param {import('../naive-client.mjs').NaiveConfig} config
 * @returns {Promise<import('../naive-client.mjs').NaiveResult>}
 */
export async function runNaiveClient(config, withinMs = 120_000) {
  const child = startNode('bench/naive-client.mjs', { name: 'naive client', ipc: true });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`naive client timed out after ${withinMs} ms`)),
        withinMs,
      );
      child.onMessage((message) => {
        clearTimeout(timer);
        const { result, error } = /** @type {import('../naive-client.mjs').NaiveAnswer} */ (
          message
        );
        if (result) resolve(result);
        else reject(new Error(`naive client: ${error}`));
      });
      void child.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(
          new Error(
            `naive client exited (${code ?? signal}) without a result: ${child.output().slice(-4096)}`,
          ),
        );
      });
      child.send(config);
    });
  } finally {
    await child.kill('SIGKILL');
  }
}
