import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROOT, startNode } from '../scripts/app-process.mjs';
import { expectPresent } from './support/expect-present.js';

const RUN_WITHIN_MS = 180_000;

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

interface CpuRow {
  name: string;
  kind: 'raw' | 'app';
  callsUpstream: boolean;
  requests: number;
  failed: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuSec: number;
  cpuUsPerRequest: number;
  upstreamCpuUsPerRequest: number | null;
}

interface BenchResults {
  mode: string;
  durationSec: number;
  settings: { latencies: number[] };
  goals: { goal: string; measured: string; met: boolean | null; distance: string }[];
  cases: {
    cpuCost: { connections: number; rows: CpuRow[] };
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
    expect(isNumber(value)).toBeTruthy();
  }
}

/** Runs `node bench/run.mjs --smoke --out <file>`; resolves with its exit code and output. */
async function runSmokeBench(out: string): Promise<{ code: number | null; output: string }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
  // npm test provides a PostgreSQL server; the bench creates and drops a database of its own there.
  if (env.TEST_DATABASE_URL && !env.BENCH_DATABASE_URL)
    env.BENCH_DATABASE_URL = env.TEST_DATABASE_URL;
  const bench = startNode('bench/run.mjs', { env, args: ['--smoke', '--out', out] });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), RUN_WITHIN_MS);
  });
  const ended = await Promise.race([bench.exited, timedOut]);
  clearTimeout(timer);
  if (ended === 'timeout') {
    await bench.stop();
    return {
      code: null,
      output: `${bench.output()}\n[stopped: still running after ${RUN_WITHIN_MS} ms]`,
    };
  }
  return { code: ended.code, output: bench.output() };
}

describe('npm run bench, smoke version (small N, short loads)', () => {
  let dir: string;
  let results: BenchResults;
  let markdown: string;

  beforeAll(async () => {
    // the app is compiled
    expect(existsSync(join(ROOT, 'dist/src/main.js'))).toBeTruthy();
    dir = await mkdtemp(join(tmpdir(), 'tokenkeep-bench-smoke-'));
    const out = join(dir, 'smoke.json');
    const { code, output } = await runSmokeBench(out);
    // On failure, the bench's own output says why.
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    results = JSON.parse(await readFile(out, 'utf8')) as BenchResults;
    markdown = await readFile(join(dir, 'smoke.md'), 'utf8');
  }, RUN_WITHIN_MS + 10_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('wrote the smoke results where it was told, with every case', () => {
    expect(results.mode).toBe('smoke');
    expect(isNumber(results.durationSec)).toBeTruthy();
    for (const name of ['refreshStorm', 'overhead', 'manyUsers', 'footprint', 'cpuCost'])
      expect(name in results.cases).toBeTruthy();
    for (const heading of ['Refresh storm', 'Overhead', 'Many users', 'Footprint', 'CPU cost'])
      expect(markdown).toMatch(new RegExp(`## \\d\\. ${heading}`));
  });

  it('CPU cost: server CPU per request, req/s and latency for both raw baselines and every operation', () => {
    const { rows } = results.cases.cpuCost;
    expect(rows.filter((row) => row.kind === 'raw').map((row) => row.callsUpstream)).toEqual([
      false,
      true,
    ]);
    expect(rows.filter((row) => row.kind === 'app').map((row) => row.name)).toEqual([
      '/health/live',
      '__typename',
      'me',
      'tokenStatus',
      'profile',
      'validateToken',
    ]);
    for (const row of rows) {
      assertNumbers(row.name, row, ['reqPerSec', 'p50Ms', 'p99Ms', 'cpuSec', 'cpuUsPerRequest']);
      expect({ name: row.name, failed: row.failed }).toEqual({ name: row.name, failed: 0 });
      expect(row.requests).toBeGreaterThan(0);
      expect(row.cpuUsPerRequest).toBeGreaterThan(0);
      // the emulator's share is counted exactly for the rows that call it
      if (row.callsUpstream) expect(row.upstreamCpuUsPerRequest).toBeGreaterThan(0);
      else expect(row.upstreamCpuUsPerRequest).toBeNull();
    }
  });

  it('goals: each with what was measured, whether it was met and how far off (met or not is not checked here)', () => {
    expect(results.goals.length).toBe(8);
    for (const goal of results.goals) {
      expect(goal.measured).not.toBe('not measured in this run');
      expect(typeof goal.met).toBe('boolean');
      expect(goal.distance).not.toBe('');
    }
    expect(markdown).toContain('## Goals');
    for (const goal of results.goals) expect(markdown).toContain(goal.goal);
  });

  it('refresh storm: one upstream refresh and no failure per storm, on 1 and on 3 instances', () => {
    const rows = results.cases.refreshStorm.rows;
    const ours = rows.filter((row) => row.client === 'tokenkeep');
    expect(new Set(ours.map((row) => row.instances))).toEqual(new Set([1, 3]));
    expect(ours.some((row) => row.rotation)).toBeTruthy();
    for (const row of ours) {
      const what = `${row.concurrency} requests on ${row.instances} instance(s)`;
      expect(row.upstreamRefreshCalls).toBe(1);
      expect(row.failed).toBe(0);
      assertNumbers(what, row, ['p50Ms', 'p99Ms']);
    }
    const naive = rows.filter((row) => row.client === 'naive');
    // the naive client ran beside
    expect(naive.length).toBeGreaterThan(0);
    for (const row of naive) {
      // the naive client refreshes per request
      expect(row.upstreamRefreshCalls).toBe(row.concurrency);
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
        expectPresent(row);
        assertNumbers(operation, row, ['reqPerSec', 'p50Ms', 'p99Ms', 'requests']);
        expect(row.requests).toBeGreaterThan(0);
        expect(row.failed).toBe(0);
      }
    }
    expect(unloaded.length).toBeGreaterThan(0);
    for (const ratio of ratios) assertNumbers('ratio', ratio, ['throughputRatio', 'addedP50Ms']);
  });

  it('many users: requests, waits, proactive refreshes and the due-token query cost', () => {
    const { users, runs, sweepCost } = results.cases.manyUsers;
    expect(users).toBeGreaterThan(0);
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) {
      assertNumbers('many users', run, [
        'requests',
        'failed',
        'requestsThatWaited',
        'shareThatWaited',
        'proactiveRefreshes',
        'upstreamRefreshCalls',
      ]);
      expect(run.requests).toBeGreaterThan(0);
      // failed requests
      expect(run.failed).toBe(0);
    }
    expect(sweepCost.rows.length).toBe(3);
    for (const row of sweepCost.rows) {
      assertNumbers('sweep cost', row, ['stored', 'due']);
      assertNumbers('sweep cost', row.findExpiringMs, ['p50', 'p99']);
      assertNumbers('sweep cost', row.sweepQueriesMs, ['p50', 'p99']);
      assertNumbers('sweep cost', row.plan, ['rowsRead']);
      assertNumbers('sweep cost', row.idlePlan, ['rowsRead']);
    }
    // more tokens stored the second time
    expect(sweepCost.rows[1].stored).toBeGreaterThan(sweepCost.rows[0].stored);
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
});
