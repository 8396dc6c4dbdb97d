// npm run bench: starts what it needs (PostgreSQL database, standalone Google emulator, app
// instances), runs bounded loads on loopback, stops everything it started, and writes
// bench/results/latest.json and latest.md. `--smoke` runs a tiny version (for npm test) into
// bench/results/smoke.json and smoke.md; `--out <file.json>` writes elsewhere (the Markdown goes
// beside it, .md). `--only cpu-cost [--ops me,profile,...]` runs that case alone on one fresh
// instance (into the temporary folder unless --out says otherwise): with BENCH_CPU_PROF=<dir>,
// the way to take a CPU profile of the app under that load (bench/README.md).
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { closeAppAgent, graphql, signIn } from './lib/app-client.mjs';
import { APP_OPERATIONS, cpuCost } from './lib/cases/cpu-cost.mjs';
import { footprintSummary, soloStarts } from './lib/cases/footprint.mjs';
import { manyUsers } from './lib/cases/many-users.mjs';
import { overhead } from './lib/cases/overhead.mjs';
import { refreshStorm } from './lib/cases/refresh-storm.mjs';
import { sweepCost } from './lib/cases/sweep-cost.mjs';
import { createContext, PUBLIC_URL, storedAccessToken } from './lib/context.mjs';
import { createBenchDatabase } from './lib/database.mjs';
import { evaluateGoals } from './lib/goals.mjs';
import { closeGoogleAgent } from './lib/google.mjs';
import { burst } from './lib/load.mjs';
import { CPU_PROFILE_DIR, residentBytes, ROOT, startApp, stopAll } from './lib/processes.mjs';
import { renderMarkdown } from './lib/report.mjs';
import { SETTINGS } from './lib/settings.mjs';

/** Ada, one of the emulator's default users: the user of the storm, overhead and CPU cases. */
const ADA = '104892461539281739254';

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    ops: { type: 'string' },
  },
});
if (args.only !== undefined && args.only !== 'cpu-cost') {
  process.stderr.write(`--only takes cpu-cost (the one case that runs alone), not ${args.only}\n`);
  process.exit(2);
}
const operations = args.ops?.split(',').map((name) => name.trim()) ?? Object.keys(APP_OPERATIONS);
const unknown = operations.filter((name) => !(name in APP_OPERATIONS));
if (unknown.length > 0) {
  process.stderr.write(
    `--ops: unknown ${unknown.join(', ')} (known: ${Object.keys(APP_OPERATIONS).join(', ')})\n`,
  );
  process.exit(2);
}
const mode = args.smoke ? 'smoke' : 'full';
const settings = SETTINGS[mode];
// A smoke run or a single case never overwrites the published results.
const outJson =
  args.out ??
  (args.only
    ? join(tmpdir(), `tokenkeep-bench-${args.only}.json`)
    : join(ROOT, `bench/results/${args.smoke ? 'smoke' : 'latest'}.json`));
const outMarkdown = outJson.replace(/\.json$/, '') + '.md';
const log = (/** @type {string} */ line) => void process.stderr.write(`${line}\n`);

/**
 * The project's Prettier style, so `npm run format` leaves the results alone.
 * @param {string} text
 * @param {string} parser
 */
async function formatted(text, parser) {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(outJson)) ?? {};
    return await prettier.format(text, { ...options, parser });
  } catch {
    return text;
  }
}

/** The commit measured, and whether the app's sources differed from it. */
function revision() {
  try {
    const git = (/** @type {string[]} */ ...args) =>
      execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    return {
      commit: git('rev-parse', 'HEAD'),
      uncommittedAppChanges: git('status', '--porcelain', '--', 'src', 'migrations') !== '',
    };
  } catch {
    return null;
  }
}

let stopping = false;
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping everything started`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** @type {import('./lib/database.mjs').BenchDatabase | undefined} */
let database;
async function cleanup() {
  await stopAll();
  await database
    ?.drop()
    .catch((/** @type {Error} */ error) => log(`could not drop the database: ${error.message}`));
  await Promise.all([closeAppAgent(), closeGoogleAgent()]).catch(() => {});
}

const startedAt = performance.now();
// Other work on the machine: what the 1-minute load average was when the run started.
const loadAverageAtStart = Math.round(loadavg()[0] * 10) / 10;
/** @type {Record<string, number>} */
const timings = {};
/**
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} work
 */
const step = async (name, work) => {
  log(`${name}...`);
  const t0 = performance.now();
  try {
    return await work();
  } finally {
    timings[name] = Math.round((performance.now() - t0) / 100) / 10;
  }
};

/**
 * `count` instances, each started once the one before is ready (the first alone on the database:
 * its start-up runs the migrations), Ada signed in, and every instance warmed up so the first case
 * does not measure a cold process.
 * @param {import('./lib/context.mjs').BenchContext} ctx
 * @param {number} count
 */
async function startInstances(ctx, count) {
  const first = await startApp(ctx.appOptions);
  await sleep(settings.footprint.settleMs);
  const firstStart = { readyMs: Math.round(first.readyMs), idleRssBytes: residentBytes(first.pid) };
  const others = await Promise.all(
    Array.from({ length: count - 1 }, () => startApp(ctx.appOptions)),
  );
  const apps = [first, ...others];
  log(`  instances: ${apps.map((app) => `${app.url} (pid ${app.pid})`).join(', ')}`);
  const bearer = await signIn(first.url, PUBLIC_URL, ADA);
  for (const app of apps) {
    const { profile } = /** @type {{ profile: { sub: string } }} */ (
      await graphql(app.url, bearer, '{ profile { sub } }')
    );
    if (profile.sub !== ADA) throw new Error(`unexpected profile ${JSON.stringify(profile)}`);
    await burst({
      urls: [app.url],
      count: 200,
      path: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query: '{ profile { sub } }' }),
    });
  }
  return { apps, bearer, firstStart };
}

/**
 * Every case, as npm run bench runs them.
 * @param {import('./lib/context.mjs').BenchContext} ctx
 */
async function allCases(ctx) {
  const { apps, bearer, firstStart } = await step('start 3 instances', () =>
    startInstances(ctx, 3),
  );
  const storm = await step('1. refresh storm', () => refreshStorm(ctx, { apps, bearer, sub: ADA }));
  const over = await step('2. overhead', () => overhead(ctx, { app: apps[0], bearer, sub: ADA }));
  const cpu = await step('5. CPU cost', async () =>
    cpuCost(ctx, { app: apps[0], bearer, accessToken: await storedAccessToken(ctx, ADA) }),
  );
  const rssAfterLoadBytes = residentBytes(apps[0].pid);
  await Promise.all(apps.map((app) => app.stop()));

  const solo = await step('4. footprint (solo starts)', () => soloStarts(ctx));
  const many = await step('3. many users', () => manyUsers(ctx));
  const sweep = await step('3b. due-token query cost', () =>
    sweepCost(ctx, { tokenIds: many.tokenIds }),
  );
  // The seeded token ids are for case 3b, not for the results.
  const manyReported = { ...many, tokenIds: undefined };
  return {
    refreshStorm: storm,
    overhead: over,
    manyUsers: { ...manyReported, sweepCost: sweep },
    footprint: footprintSummary({
      firstStart,
      solo,
      overhead: over,
      many,
      storm,
      rssAfterLoadBytes,
    }),
    cpuCost: cpu,
  };
}

/**
 * The CPU case alone on one fresh instance (--only cpu-cost), for a CPU profile of that load.
 * @param {import('./lib/context.mjs').BenchContext} ctx
 */
async function cpuCostAlone(ctx) {
  const { apps, bearer } = await step('start 1 instance', () => startInstances(ctx, 1));
  const cpu = await step('5. CPU cost', async () =>
    cpuCost(ctx, {
      app: apps[0],
      bearer,
      accessToken: await storedAccessToken(ctx, ADA),
      operations,
    }),
  );
  await apps[0].stop();
  return { cpuCost: cpu };
}

/** @type {import('./lib/report.mjs').Results} */
let results;
try {
  database = await createBenchDatabase(log);
  const db = database;
  const [{ server_version: version }] = /** @type {[{ server_version: string }]} */ (
    await db.query('SHOW server_version')
  );
  const ctx = await createContext({ settings, log, db });
  if (CPU_PROFILE_DIR)
    log(`app instances write a CPU profile into ${CPU_PROFILE_DIR} when they stop`);
  const cases = args.only ? await cpuCostAlone(ctx) : await allCases(ctx);
  results = {
    generatedAt: new Date().toISOString(),
    mode: args.only ? `${mode}, ${args.only} only` : mode,
    revision: revision(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? null,
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      postgres: `${version} (${db.source})`,
      loadAverage: { atStart: loadAverageAtStart, atEnd: 0 },
    },
    settings,
    goals: evaluateGoals(cases),
    cases,
    durationSec: 0,
    stepSeconds: timings,
  };
} catch (error) {
  const { stack, message } = /** @type {Error} */ (error);
  log(`\nbenchmark failed: ${stack ?? message}`);
  await cleanup();
  process.exit(1);
}
await cleanup();
results.durationSec = Math.round((performance.now() - startedAt) / 100) / 10;
results.machine.loadAverage.atEnd = Math.round(loadavg()[0] * 10) / 10;
const markdown = await formatted(renderMarkdown(results), 'markdown');
await mkdir(dirname(outJson), { recursive: true });
await writeFile(outJson, await formatted(`${JSON.stringify(results, null, 2)}\n`, 'json'));
await writeFile(outMarkdown, markdown);
process.stdout.write(`${markdown}\n`);
log(`wrote ${outJson} and ${outMarkdown} (${results.durationSec} s)`);
