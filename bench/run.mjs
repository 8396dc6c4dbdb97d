// npm run bench: starts what it needs (PostgreSQL database, standalone Google emulator, app
// instances), runs bounded loads on loopback, stops everything it started, and writes
// bench/results/latest.json and latest.md. `--smoke` runs a tiny version (for npm test) into
// bench/results/smoke.json and smoke.md;
// `--out <file.json>` writes elsewhere (the Markdown goes beside it, .md).
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { closeAppAgent, graphql, signIn } from './lib/app-client.mjs';
import { footprintSummary, soloStarts } from './lib/cases/footprint.mjs';
import { manyUsers } from './lib/cases/many-users.mjs';
import { overhead } from './lib/cases/overhead.mjs';
import { refreshStorm } from './lib/cases/refresh-storm.mjs';
import { sweepCost } from './lib/cases/sweep-cost.mjs';
import { createBenchDatabase } from './lib/database.mjs';
import { closeGoogleAgent, emulatorAdmin } from './lib/google.mjs';
import { burst } from './lib/load.mjs';
import {
  newKeyring,
  newSessionSecret,
  residentBytes,
  ROOT,
  startApp,
  startEmulator,
  stopAll,
} from './lib/processes.mjs';
import { renderMarkdown } from './lib/report.mjs';
import { tokenCodec } from './lib/tokens.mjs';

const SETTINGS = {
  full: {
    latencies: [0, 50],
    storm: { counts: [100, 500, 1000], instances: [1, 3], rotationCount: 100, warmupCount: 100 },
    overhead: { connections: 10, durationSec: 5, warmupSec: 1, unloadedSec: 3 },
    manyUsers: {
      emulatorUsers: 100,
      grantsPerUser: 100,
      latencies: [0, 50],
      leewaySec: 60,
      windowSec: 120,
      intervalSec: 5,
      batchSize: 100,
      expiryStartSec: 75,
      expirySpreadSec: 300,
      loadSec: 60,
      ratePerSec: 200,
      connections: 20,
    },
    sweep: {
      storedLarge: 100_000,
      due: 200,
      runs: 200,
      warmup: 20,
      windowSec: 300,
      batchSize: 100,
      keepaliveDays: 30,
    },
    footprint: { starts: 3, settleMs: 2000 },
  },
  smoke: {
    latencies: [0, 50],
    storm: { counts: [20], instances: [1, 3], rotationCount: 20, warmupCount: 20 },
    overhead: { connections: 4, durationSec: 1, warmupSec: 0, unloadedSec: 1 },
    manyUsers: {
      emulatorUsers: 2,
      grantsPerUser: 25,
      latencies: [0],
      leewaySec: 2,
      windowSec: 5,
      intervalSec: 1,
      batchSize: 100,
      expiryStartSec: 4,
      expirySpreadSec: 6,
      loadSec: 4,
      ratePerSec: 50,
      connections: 4,
    },
    sweep: {
      storedLarge: 2000,
      due: 10,
      runs: 10,
      warmup: 2,
      windowSec: 300,
      batchSize: 100,
      keepaliveDays: 30,
    },
    footprint: { starts: 1, settleMs: 500 },
  },
};

/** Ada, one of the emulator's default users: the user of the storm and overhead cases. */
const ADA = '104892461539281739254';
/** The address a balancer would serve the instances on; the benchmark plays the balancer. */
const PUBLIC_URL = 'http://tokenkeep.bench';

const { values: args } = parseArgs({
  options: { smoke: { type: 'boolean', default: false }, out: { type: 'string' } },
});
const mode = args.smoke ? 'smoke' : 'full';
const settings = SETTINGS[mode];
// A smoke run never overwrites the published results.
const outJson = args.out ?? join(ROOT, `bench/results/${args.smoke ? 'smoke' : 'latest'}.json`);
const outMarkdown = outJson.replace(/\.json$/, '') + '.md';
const log = (line) => process.stderr.write(`${line}\n`);

/** The project's Prettier style, so `npm run format` leaves the results alone. */
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
    const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    return {
      commit: git('rev-parse', 'HEAD'),
      uncommittedAppChanges: git('status', '--porcelain', '--', 'src', 'migrations') !== '',
    };
  } catch {
    return null;
  }
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping everything started`);
    void cleanup().finally(() => process.exit(130));
  });
}

let database;
async function cleanup() {
  await stopAll();
  await database?.drop().catch((error) => log(`could not drop the database: ${error.message}`));
  await Promise.all([closeAppAgent(), closeGoogleAgent()]).catch(() => {});
}

const startedAt = performance.now();
const timings = {};
const step = async (name, work) => {
  log(`${name}...`);
  const t0 = performance.now();
  try {
    return await work();
  } finally {
    timings[name] = Math.round((performance.now() - t0) / 100) / 10;
  }
};

let results;
try {
  database = await createBenchDatabase(log);
  const [{ server_version: version }] = await database.query('SHOW server_version');
  const emulator = await startEmulator();
  log(`Google emulator: ${emulator.url} (pid ${emulator.pid})`);
  const keyring = newKeyring();
  const ctx = {
    settings,
    log,
    db: database,
    emulator,
    admin: emulatorAdmin(emulator.url),
    keyring,
    codec: tokenCodec(keyring),
    redirectUri: `${PUBLIC_URL}/auth/google/callback`,
    appOptions: {
      databaseUrl: database.url,
      emulatorUrl: emulator.url,
      publicUrl: PUBLIC_URL,
      keyring,
      sessionSecret: newSessionSecret(),
    },
  };

  const { apps, bearer, firstStart } = await step('start 3 instances', async () => {
    // The first alone, on the empty database: its start-up includes the migrations.
    const first = await startApp({ ...ctx.appOptions, env: { PROACTIVE_REFRESH: 'off' } });
    await sleep(settings.footprint.settleMs);
    const firstStart = {
      readyMs: Math.round(first.readyMs),
      idleRssBytes: residentBytes(first.pid),
    };
    const others = await Promise.all(
      [1, 2].map(() => startApp({ ...ctx.appOptions, env: { PROACTIVE_REFRESH: 'off' } })),
    );
    const apps = [first, ...others];
    log(`  instances: ${apps.map((app) => `${app.url} (pid ${app.pid})`).join(', ')}`);
    const bearer = await signIn(first.url, PUBLIC_URL, ADA);
    for (const app of apps) {
      const { profile } = await graphql(app.url, bearer, '{ profile { sub } }');
      if (profile.sub !== ADA) throw new Error(`unexpected profile ${JSON.stringify(profile)}`);
      // Warm-up, so the first storm does not measure a cold process.
      await burst({
        urls: [app.url],
        count: 200,
        path: '/graphql',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ query: '{ profile { sub } }' }),
      });
    }
    return { apps, bearer, firstStart };
  });

  const storm = await step('1. refresh storm', () => refreshStorm(ctx, { apps, bearer, sub: ADA }));
  const over = await step('2. overhead', () => overhead(ctx, { app: apps[0], bearer, sub: ADA }));
  const rssAfterLoadBytes = residentBytes(apps[0].pid);
  await Promise.all(apps.map((app) => app.stop()));

  const solo = await step('4. footprint (solo starts)', () => soloStarts(ctx));
  const many = await step('3. many users', () => manyUsers(ctx));
  const sweep = await step('3b. due-token query cost', () =>
    sweepCost(ctx, { tokenIds: many.tokenIds }),
  );
  delete many.tokenIds;

  results = {
    generatedAt: new Date().toISOString(),
    mode,
    revision: revision(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? null,
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      postgres: `${version} (${database.source})`,
    },
    settings,
    cases: {
      refreshStorm: storm,
      overhead: over,
      manyUsers: { ...many, sweepCost: sweep },
      footprint: footprintSummary({
        firstStart,
        solo,
        overhead: over,
        many,
        storm,
        rssAfterLoadBytes,
      }),
    },
  };
} catch (error) {
  log(`\nbenchmark failed: ${error.stack ?? error.message}`);
  await cleanup();
  process.exit(1);
}
await cleanup();
results.durationSec = Math.round((performance.now() - startedAt) / 100) / 10;
results.stepSeconds = timings;
const markdown = await formatted(renderMarkdown(results), 'markdown');
await mkdir(dirname(outJson), { recursive: true });
await writeFile(outJson, await formatted(`${JSON.stringify(results, null, 2)}\n`, 'json'));
await writeFile(outMarkdown, markdown);
process.stdout.write(`${markdown}\n`);
log(`wrote ${outJson} and ${outMarkdown} (${results.durationSec} s)`);
