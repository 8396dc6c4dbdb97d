import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The repository root: this file runs as dist/test/bench-smoke.e2e-spec.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUN_WITHIN_MS = 150_000;

interface StormRow {
  client: 'tokenkeep' | 'naive';
  instances: number | null;
  concurrency: number;
  rotation: boolean;
  upstreamRefreshCalls: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
}

interface LoadRow {
  operation: string;
  latencyMs: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  failed: number;
}

interface SweepRow {
  stored: number;
  due: number;
  findExpiringMs: { p50: number; p99: number };
  sweepQueriesMs: { p50: number; p99: number };
  plan: { rowsRead: number };
  idlePlan: { rowsRead: number };
}

interface BenchResults {
  mode: string;
  durationSec: number;
  settings: { latencies: number[] };
  cases: {
    refreshStorm: { rows: StormRow[] };
    overhead: {
      rows: LoadRow[];
      unloaded: LoadRow[];
      ratios: { throughputRatio: number; addedP50Ms: number }[];
    };
    manyUsers: {
      users: number;
      runs: {
        requests: number;
        failed: number;
        requestsThatWaited: number | null;
        shareThatWaited: number | null;
        proactiveRefreshes: number | null;
        upstreamRefreshCalls: number;
      }[];
      sweepCost: { rows: SweepRow[] };
    };
    footprint: Record<string, unknown>;
  };
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function assertNumbers(what: string, record: object, keys: string[]): void {
  for (const key of keys) {
    const value = (record as Record<string, unknown>)[key];
    assert.ok(isNumber(value), `${what}: ${key} is a number (got ${JSON.stringify(value)})`);
  }
}

/** Runs `node bench/run.mjs --smoke --out <file>`; resolves with its exit code and output. */
function runSmokeBench(out: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['bench/run.mjs', '--smoke', '--out', out], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      // npm test provides a PostgreSQL server; the bench creates and drops a database of its own there.
      ...(process.env.TEST_DATABASE_URL && !process.env.BENCH_DATABASE_URL
        ? { BENCH_DATABASE_URL: process.env.TEST_DATABASE_URL }
        : {}),
    },
  });
  let output = '';
  const capture = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-64 * 1024);
  };
  child.stdout.on('data', capture);
  child.stderr.on('data', capture);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      output += `\n[killed: still running after ${RUN_WITHIN_MS} ms]`;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    }, RUN_WITHIN_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe(
  'npm run bench, smoke version (small N, short loads)',
  { timeout: RUN_WITHIN_MS + 30_000 },
  () => {
    let dir: string;
    let results: BenchResults;
    let markdown: string;

    before(
      async () => {
        assert.ok(existsSync(join(ROOT, 'dist/src/main.js')), 'the app is compiled');
        dir = await mkdtemp(join(tmpdir(), 'tokenkeep-bench-smoke-'));
        const out = join(dir, 'smoke.json');
        const { code, output } = await runSmokeBench(out);
        assert.equal(code, 0, `the smoke bench failed:\n${output}`);
        results = JSON.parse(await readFile(out, 'utf8')) as BenchResults;
        markdown = await readFile(join(dir, 'smoke.md'), 'utf8');
      },
      { timeout: RUN_WITHIN_MS + 10_000 },
    );

    after(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('wrote the smoke results where it was told, with every case', () => {
      assert.equal(results.mode, 'smoke');
      assert.ok(isNumber(results.durationSec));
      for (const name of ['refreshStorm', 'overhead', 'manyUsers', 'footprint'])
        assert.ok(name in results.cases, `case ${name}`);
      for (const heading of ['Refresh storm', 'Overhead', 'Many users', 'Footprint'])
        assert.match(markdown, new RegExp(`## \\d\\. ${heading}`));
    });

    it('refresh storm: one upstream refresh and no failure per storm, on 1 and on 3 instances', () => {
      const rows = results.cases.refreshStorm.rows;
      const ours = rows.filter((row) => row.client === 'tokenkeep');
      assert.deepEqual(new Set(ours.map((row) => row.instances)), new Set([1, 3]));
      assert.ok(ours.some((row) => row.rotation));
      for (const row of ours) {
        const what = `${row.concurrency} requests on ${row.instances} instance(s)`;
        assert.equal(row.upstreamRefreshCalls, 1, `${what}: upstream refresh calls`);
        assert.equal(row.failed, 0, `${what}: failed requests`);
        assertNumbers(what, row, ['p50Ms', 'p99Ms']);
      }
      const naive = rows.filter((row) => row.client === 'naive');
      assert.ok(naive.length > 0, 'the naive client ran beside');
      for (const row of naive) {
        assert.equal(
          row.upstreamRefreshCalls,
          row.concurrency,
          'the naive client refreshes per request',
        );
        assertNumbers('naive', row, ['failed', 'p50Ms', 'p99Ms']);
      }
    });

    it('overhead: throughput and latency through the app and direct, with and without provider latency', () => {
      const { rows, unloaded, ratios } = results.cases.overhead;
      for (const latencyMs of results.settings.latencies) {
        for (const operation of [
          'profile',
          'userinfo (direct)',
          'validateToken',
          'tokeninfo (direct)',
          'tokenStatus',
        ]) {
          const row = rows.find((r) => r.latencyMs === latencyMs && r.operation === operation);
          assert.ok(row, `${operation} at ${latencyMs} ms`);
          assertNumbers(operation, row, ['reqPerSec', 'p50Ms', 'p99Ms', 'requests']);
          assert.ok(row.requests > 0, `${operation}: requests were made`);
          assert.equal(row.failed, 0, `${operation}: failed requests`);
        }
      }
      assert.ok(unloaded.length > 0);
      for (const ratio of ratios) assertNumbers('ratio', ratio, ['throughputRatio', 'addedP50Ms']);
    });

    it('many users: requests, waits, proactive refreshes and the due-token query cost', () => {
      const { users, runs, sweepCost } = results.cases.manyUsers;
      assert.ok(users > 0);
      assert.ok(runs.length > 0);
      for (const run of runs) {
        assertNumbers('many users', run, [
          'requests',
          'failed',
          'requestsThatWaited',
          'shareThatWaited',
          'proactiveRefreshes',
          'upstreamRefreshCalls',
        ]);
        assert.ok(run.requests > 0);
        assert.equal(run.failed, 0, 'failed requests');
      }
      assert.equal(sweepCost.rows.length, 3);
      for (const row of sweepCost.rows) {
        assertNumbers('sweep cost', row, ['stored', 'due']);
        assertNumbers('sweep cost', row.findExpiringMs, ['p50', 'p99']);
        assertNumbers('sweep cost', row.sweepQueriesMs, ['p50', 'p99']);
        assertNumbers('sweep cost', row.plan, ['rowsRead']);
        assertNumbers('sweep cost', row.idlePlan, ['rowsRead']);
      }
      assert.ok(
        sweepCost.rows[1].stored > sweepCost.rows[0].stored,
        'more tokens stored the second time',
      );
    });

    it('footprint: start-up times and resident memory', () => {
      assertNumbers('footprint', results.cases.footprint, [
        'readyMsFreshDatabase',
        'readyMsMigratedDatabase',
        'idleRssBytes',
        'stormMaxRssBytes',
        'underLoadMaxRssBytes',
        'manyUsersLoadMaxRssBytes',
      ]);
    });
  },
);
