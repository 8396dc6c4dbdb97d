// One-off measurement (not part of `npm run bench`): a signed-in user's `{ me { id } }` latency,
// quiet and while four unauthenticated senders, each on its own loopback address, post distinct
// 64 KiB documents of repeated fields (`{me{email} me{id} …}`) as fast as they are answered.
// Quiet and flooded phases alternate so both see the same background load on the machine.
//
//   npm run build && node bench/flood-p50.mjs [dist directory] [RATE_LIMIT_GRAPHQL_PER_MINUTE]
//
// Env: ROUNDS (5), PER_PHASE (40 requests), PHASE_DEADLINE_SECONDS (20), FLOOD_KIND (large, or
// small for `{ __typename }` documents: the cost of any four busy clients, for comparison).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { Agent, request } from 'undici';
import { freePort } from '../scripts/embedded-postgres.mjs';
import { signIn } from './lib/app-client.mjs';

/** Ada, one of the emulator's default users. */
const ADA = '104892461539281739254';
const distDir = resolve(process.argv[2] ?? 'dist');
const perMinute = process.argv[3] ?? '600';
const rounds = Number(process.env.ROUNDS ?? 5);
const perPhase = Number(process.env.PER_PHASE ?? 40);
const phaseDeadlineMs = Number(process.env.PHASE_DEADLINE_SECONDS ?? 20) * 1000;
const floodKind = process.env.FLOOD_KIND ?? 'large';

const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const dataDir = await mkdtemp(join(tmpdir(), 'tokenkeep-flood-'));
// SQLite and the embedded emulator: nothing else to start.
const app = spawn(process.execPath, [join(distDir, 'src/main.js')], {
  cwd: resolve(distDir, '..'),
  stdio: ['ignore', 'ignore', 'inherit'],
  env: {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: url,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    PROACTIVE_REFRESH: 'off',
    RATE_LIMIT_GRAPHQL_PER_MINUTE: perMinute,
  },
});
const appExited = new Promise((done) => app.once('exit', done));
process.once('exit', () => app.kill('SIGKILL'));

async function untilReady() {
  for (let attempt = 0; attempt < 600; attempt++) {
    try {
      if ((await fetch(`${url}/health/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error('the app did not become ready within 60 s');
}

/** @type {(times: number[], q: number) => number} */
const percentile = (times, q) =>
  [...times].sort((a, b) => a - b)[Math.min(times.length - 1, Math.floor(q * times.length))];
/** @param {number[]} times */
const summary = (times) => ({
  n: times.length,
  p50: Number(percentile(times, 0.5).toFixed(1)),
  p99: Number(percentile(times, 0.99).toFixed(1)),
});

await untilReady();
const bearer = await signIn(url, url, ADA);
const user = new Agent({ connections: 1 });
const ME = JSON.stringify({ query: '{ me { id } }' });

/** Sequential `{ me { id } }` as the signed-in user; milliseconds each. */
async function meTimes(/** @type {number} */ count, deadlineMs = Infinity) {
  /** @type {number[]} */
  const times = [];
  const until = performance.now() + deadlineMs;
  for (let i = 0; i < count && performance.now() < until; i++) {
    const started = performance.now();
    const response = await request(`${url}/graphql`, {
      dispatcher: user,
      method: 'POST',
      body: ME,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    });
    const text = await response.body.text();
    if (response.statusCode !== 200 || !text.includes('"id"'))
      throw new Error(`me: ${response.statusCode} ${text}`);
    times.push(performance.now() - started);
  }
  return times;
}

// The senders run in a worker thread, so the user's timings share no event loop with them.
const senders = new Worker(new URL('./flood-senders.mjs', import.meta.url), {
  workerData: { url, kind: floodKind },
});
/** @type {() => Promise<unknown>} */
const nextMessage = () => new Promise((done) => senders.once('message', done));
await nextMessage(); // ready

/** @type {Record<string, number>} */
const floodAnswers = {};
/** @type {number[]} */
const quiet = [];
/** @type {number[]} */
const flooded = [];
await meTimes(50); // warm-up
for (let round = 0; round < rounds; round++) {
  quiet.push(...(await meTimes(perPhase)));
  senders.postMessage('start');
  await sleep(300);
  flooded.push(...(await meTimes(perPhase, phaseDeadlineMs)));
  senders.postMessage('pause');
  for (const [status, count] of Object.entries(
    /** @type {Record<string, number>} */ (await nextMessage()),
  ))
    floodAnswers[status] = (floodAnswers[status] ?? 0) + count;
}
const rssKb = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${app.pid}/status`, 'utf8'))?.[1]);
console.log(
  JSON.stringify({
    dist: distDir,
    rateLimitGraphqlPerMinute: perMinute,
    floodKind,
    loadAverage: Number(loadavg()[0].toFixed(1)),
    quiet: summary(quiet),
    flooded: summary(flooded),
    p50Ratio: Number((percentile(flooded, 0.5) / percentile(quiet, 0.5)).toFixed(1)),
    floodAnswers,
    appRssMb: Math.round(rssKb / 1024),
  }),
);

senders.postMessage('exit');
await user.close();
app.kill('SIGTERM');
await appExited;
await rm(dataDir, { recursive: true, force: true });
