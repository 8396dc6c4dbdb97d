// Case 5, CPU cost: server CPU per request (from /proc/<pid>/stat) with req/s, p50 and p99, for the
// app's operations and for two raw node:http baselines in processes of their own: a JSON answer,
// and a proxy making the same upstream call as `profile`. Same emulator, same connections, same
// load generator, in one run, so the ratios hold on a noisy machine.
import { graphql } from '../app-client.mjs';
import { round, sustained } from '../load.mjs';
import { CLOCK_TICKS_PER_SECOND, startRawServer } from '../processes.mjs';
import { median } from './footprint.mjs';

/** @typedef {import('../../../scripts/app-process.mjs').AppProcess} AppProcess */
/** @typedef {import('../load.mjs').Target} Target */

/**
 * One thing measured.
 * @typedef {Target & { name: string, kind: 'raw' | 'app', url: string, callsUpstream: boolean }} CpuTarget
 */

/**
 * @typedef {object} CpuRow
 * @property {string} name
 * @property {'raw' | 'app'} kind
 * @property {boolean} callsUpstream whether each request calls the emulator
 * @property {number} requests over every round
 * @property {number} failed
 * @property {number} reqPerSec mean over the rounds
 * @property {number} p50Ms median over the rounds
 * @property {number} p99Ms median over the rounds
 * @property {number} cpuSec server CPU over every round
 * @property {number} cpuUsPerRequest cpuSec / requests, in µs
 * @property {number} cpuErrorPct the most a clock tick of /proc can be off, as a share of cpuSec
 * @property {number | null} upstreamCpuUsPerRequest the emulator's CPU per request, for those calling it
 * @property {{ requests: number, reqPerSec: number, p50Ms: number, p99Ms: number, cpuUsPerRequest: number }[]} rounds
 */

/** The operations whose CPU is measured, by name (run.mjs --ops picks some). */
export const APP_OPERATIONS = {
  '/health/live': null,
  // No resolver: every hook and Mercurius run, Nest's resolver pipeline (guards, interceptors) does not.
  __typename: '{ __typename }',
  me: '{ me { email } }',
  tokenStatus: '{ tokenStatus { state scopes expiresAt expiresInSeconds hasRefreshToken } }',
  profile: '{ profile { email name } }',
  validateToken: '{ validateToken { valid expiresInSeconds scopes audienceMatches email } }',
};
export const RAW_JSON = 'raw node:http JSON answer';
export const RAW_PROXY = 'raw node:http proxy → userinfo (undici Pool)';

/**
 * @param {import('../context.mjs').BenchContext} ctx
 * @param {{ app: AppProcess, bearer: string, accessToken: string, operations?: string[] }} subject
 */
export async function cpuCost(
  ctx,
  { app, bearer, accessToken, operations = Object.keys(APP_OPERATIONS) },
) {
  const s = ctx.settings.cpuCost;
  await ctx.admin.setLatency(0);
  const { me } = /** @type {{ me: { email: string } }} */ (
    await graphql(app.url, bearer, APP_OPERATIONS.me)
  );
  const raw = await Promise.all([
    startRawServer('json', { email: me.email }),
    startRawServer('proxy', { emulatorUrl: ctx.emulator.url, accessToken }),
  ]);
  try {
    const targets = [
      ...rawTargets(raw[0].url, raw[1].url),
      ...appTargets(app.url, bearer, operations),
    ];
    const pidOf = (/** @type {CpuTarget} */ target) =>
      target.name === RAW_JSON ? raw[0].pid : target.name === RAW_PROXY ? raw[1].pid : app.pid;
    /** @type {Map<string, (import('../load.mjs').LoadSummary & { cpuTicks: { server: number, upstream?: number } })[]>} */
    const runs = new Map(targets.map((target) => [target.name, []]));
    // When each app operation was under load, on the clock of V8's CPU profiles (monotonic µs):
    // bench/cpu-profile-summary.mjs --windows keeps only those samples.
    /** @type {{ name: string, fromUs: number, toUs: number }[]} */
    const loadWindows = [];
    // Rounds over every target in turn, so a slow moment of the machine falls on all of them.
    for (let round = 0; round < s.rounds; round++) {
      for (const target of targets) {
        const fromUs = monotonicUs();
        const result = await sustained({
          url: target.url,
          connections: s.connections,
          durationSec: s.durationSec,
          warmupSec: round === 0 ? s.warmupSec : 0,
          method: target.method,
          headers: target.headers,
          body: target.body,
          verifyBody: target.verifyBody,
          cpuOf: {
            server: pidOf(target),
            ...(target.callsUpstream ? { upstream: ctx.emulator.pid } : {}),
          },
        });
        runs.get(target.name)?.push(result);
        if (target.kind === 'app')
          loadWindows.push({ name: target.name, fromUs, toUs: monotonicUs() });
        ctx.log(
          `  ${target.name}, round ${round + 1}: ${result.reqPerSec} req/s, ` +
            `${usPerRequest(result.cpuTicks.server, result.requests)} µs CPU per request, ` +
            `p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.failed} failed`,
        );
      }
    }
    return {
      connections: s.connections,
      durationSec: s.durationSec,
      rounds: s.rounds,
      clockTicksPerSecond: CLOCK_TICKS_PER_SECOND,
      rows: targets.map((target) => summarizeRuns(target, runs.get(target.name) ?? [])),
      loadWindows,
    };
  } finally {
    await Promise.all(raw.map((server) => server.stop()));
  }
}

/** Now on CLOCK_MONOTONIC in µs, the clock of V8's CPU profile timestamps. */
function monotonicUs() {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * @param {number} ticks
 * @param {number} requests
 */
function usPerRequest(ticks, requests) {
  return requests > 0 ? round(((ticks / CLOCK_TICKS_PER_SECOND) * 1e6) / requests, 1) : 0;
}

/**
 * @param {CpuTarget} target
 * @param {(import('../load.mjs').LoadSummary & { cpuTicks: { server: number, upstream?: number } })[]} runs
 * @returns {CpuRow}
 */
function summarizeRuns(target, runs) {
  const sum = (/** @type {number[]} */ values) => values.reduce((a, b) => a + b, 0);
  const requests = sum(runs.map((run) => run.requests));
  const ticks = sum(runs.map((run) => run.cpuTicks.server));
  return {
    name: target.name,
    kind: target.kind,
    callsUpstream: target.callsUpstream,
    requests,
    failed: sum(runs.map((run) => run.failed)),
    reqPerSec: round(sum(runs.map((run) => run.reqPerSec)) / runs.length, 1),
    p50Ms: median(runs.map((run) => run.p50Ms)),
    p99Ms: median(runs.map((run) => run.p99Ms)),
    cpuSec: round(ticks / CLOCK_TICKS_PER_SECOND, 2),
    cpuUsPerRequest: usPerRequest(ticks, requests),
    // Each reading is whole ticks: the difference of two is off by less than one tick.
    cpuErrorPct: ticks > 0 ? round(100 / ticks, 2) : 100,
    upstreamCpuUsPerRequest: target.callsUpstream
      ? usPerRequest(sum(runs.map((run) => run.cpuTicks.upstream ?? 0)), requests)
      : null,
    rounds: runs.map((run) => ({
      requests: run.requests,
      reqPerSec: run.reqPerSec,
      p50Ms: run.p50Ms,
      p99Ms: run.p99Ms,
      cpuUsPerRequest: usPerRequest(run.cpuTicks.server, run.requests),
    })),
  };
}

/**
 * The raw servers get the very request the app gets for `me` and `profile`.
 * @param {string} jsonUrl
 * @param {string} proxyUrl
 * @returns {CpuTarget[]}
 */
function rawTargets(jsonUrl, proxyUrl) {
  const post = { method: 'POST', headers: { 'content-type': 'application/json' } };
  return [
    {
      ...post,
      name: RAW_JSON,
      kind: 'raw',
      url: `${jsonUrl}/graphql`,
      callsUpstream: false,
      body: JSON.stringify({ query: APP_OPERATIONS.me }),
      verifyBody: (body) => body.includes('"email"'),
    },
    {
      ...post,
      name: RAW_PROXY,
      kind: 'raw',
      url: `${proxyUrl}/graphql`,
      callsUpstream: true,
      body: JSON.stringify({ query: APP_OPERATIONS.profile }),
      verifyBody: (body) => body.includes('"email"') && !body.includes('"errors"'),
    },
  ];
}

/**
 * @param {string} appUrl
 * @param {string} bearer
 * @param {string[]} operations
 * @returns {CpuTarget[]}
 */
function appTargets(appUrl, bearer, operations) {
  return operations.map((name) => {
    const query = APP_OPERATIONS[/** @type {keyof typeof APP_OPERATIONS} */ (name)];
    if (query === undefined) throw new Error(`unknown operation ${name}`);
    if (query === null) {
      return { name, kind: 'app', url: appUrl + name, callsUpstream: false, method: 'GET' };
    }
    return {
      name,
      kind: 'app',
      url: `${appUrl}/graphql`,
      callsUpstream: name === 'profile' || name === 'validateToken',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query }),
      verifyBody: (body) => !body.includes('"errors"') && body.includes(`"${name}"`),
    };
  });
}
