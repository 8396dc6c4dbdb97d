// The performance goals of issue 11, judged on the numbers of one run (ratios to the raw baselines
// measured in the same run, so a noisy machine moves both sides).
import { RAW_JSON, RAW_PROXY } from './cases/cpu-cost.mjs';

/**
 * @typedef {object} Goal
 * @property {string} goal what is asked
 * @property {string} measured what this run measured
 * @property {boolean | null} met null when this run did not measure it
 * @property {string} distance how far from the goal, either way
 */

const STORM_COUNT = 1000;
const STORM_P50_MS = 250;
const IDLE_RSS_MIB = 120;

/**
 * @param {{ cpuCost?: { rows: import('./cases/cpu-cost.mjs').CpuRow[] },
 *   refreshStorm?: { rows: import('./cases/refresh-storm.mjs').StormRow[] },
 *   footprint?: { idleRssBytes: number | null } }} cases
 * @returns {Goal[]}
 */
export function evaluateGoals(cases) {
  const cpu = (/** @type {string} */ name) => cases.cpuCost?.rows.find((row) => row.name === name);
  const rawJson = cpu(RAW_JSON);
  const rawProxy = cpu(RAW_PROXY);
  return [
    cpuRatio('`me` CPU per request ≤ 6× the raw JSON answer', cpu('me'), rawJson, 6),
    cpuRatio('`profile` CPU per request ≤ 2.5× the raw proxy', cpu('profile'), rawProxy, 2.5),
    throughputRatio('`profile` req/s ≥ 0.5× the raw proxy', cpu('profile'), rawProxy, 0.5),
    cpuRatio(
      '`/health/live` CPU per request ≤ 3× the raw JSON answer',
      cpu('/health/live'),
      rawJson,
      3,
    ),
    ...stormGoals(cases.refreshStorm?.rows ?? []),
    idleMemory(cases.footprint?.idleRssBytes ?? null),
  ];
}

/**
 * @param {string} goal
 * @param {import('./cases/cpu-cost.mjs').CpuRow | undefined} row
 * @param {import('./cases/cpu-cost.mjs').CpuRow | undefined} raw
 * @param {number} limit
 * @returns {Goal}
 */
function cpuRatio(goal, row, raw, limit) {
  if (!row || !raw || raw.cpuUsPerRequest <= 0) return notMeasured(goal);
  const ratio = row.cpuUsPerRequest / raw.cpuUsPerRequest;
  const allowedUs = raw.cpuUsPerRequest * limit;
  const met = ratio <= limit;
  return {
    goal,
    measured: `${fixed(ratio)}× (${fixed(row.cpuUsPerRequest, 0)} µs vs ${fixed(raw.cpuUsPerRequest, 0)} µs)`,
    met,
    distance: met
      ? `${percent(1 - ratio / limit)} under the limit (${fixed(allowedUs - row.cpuUsPerRequest, 0)} µs to spare)`
      : `${fixed(ratio / limit)}× the limit: ${fixed(row.cpuUsPerRequest - allowedUs, 0)} µs per request too many (cut ${percent(1 - limit / ratio)})`,
  };
}

/**
 * @param {string} goal
 * @param {import('./cases/cpu-cost.mjs').CpuRow | undefined} row
 * @param {import('./cases/cpu-cost.mjs').CpuRow | undefined} raw
 * @param {number} floor
 * @returns {Goal}
 */
function throughputRatio(goal, row, raw, floor) {
  if (!row || !raw || raw.reqPerSec <= 0) return notMeasured(goal);
  const ratio = row.reqPerSec / raw.reqPerSec;
  const met = ratio >= floor;
  return {
    goal,
    measured: `${fixed(ratio, 3)}× (${fixed(row.reqPerSec, 0)} vs ${fixed(raw.reqPerSec, 0)} req/s)`,
    met,
    distance: met
      ? `${percent(ratio / floor - 1)} above the floor`
      : `${fixed(floor / ratio)}× short: needs ${fixed(raw.reqPerSec * floor, 0)} req/s`,
  };
}

/**
 * The storm on one instance, no provider latency, no rotation, at 1,000 requests (or the largest
 * storm of this run, said so).
 * @param {import('./cases/refresh-storm.mjs').StormRow[]} rows
 * @returns {Goal[]}
 */
function stormGoals(rows) {
  const candidates = rows.filter(
    (row) =>
      row.client === 'tokenkeep' && row.instances === 1 && row.latencyMs === 0 && !row.rotation,
  );
  const row =
    candidates.find((r) => r.concurrency === STORM_COUNT) ??
    candidates.sort((a, b) => b.concurrency - a.concurrency)[0];
  const what = `refresh storm of ${STORM_COUNT.toLocaleString('en')} on one instance, instant provider`;
  if (!row) {
    return [`${what}: p50 ≤ ${STORM_P50_MS} ms`, `${what}: 1 refresh`, `${what}: 0 failures`].map(
      notMeasured,
    );
  }
  const at =
    row.concurrency === STORM_COUNT ? '' : ` (at ${row.concurrency} requests: this run's largest)`;
  const p50Met = row.p50Ms <= STORM_P50_MS;
  return [
    {
      goal: `${what}: p50 ≤ ${STORM_P50_MS} ms`,
      measured: `${row.p50Ms} ms${at}`,
      met: p50Met,
      distance: p50Met
        ? `${STORM_P50_MS - row.p50Ms} ms to spare`
        : `${fixed(row.p50Ms / STORM_P50_MS)}× the limit: ${row.p50Ms - STORM_P50_MS} ms too slow`,
    },
    exactly(`${what}: 1 refresh`, row.upstreamRefreshCalls, 1, at),
    exactly(`${what}: 0 failures`, row.failed, 0, at),
  ];
}

/**
 * @param {string} goal
 * @param {number} value
 * @param {number} wanted
 * @param {string} at
 * @returns {Goal}
 */
function exactly(goal, value, wanted, at) {
  return {
    goal,
    measured: `${value}${at}`,
    met: value === wanted,
    distance: value === wanted ? 'exact' : `off by ${value - wanted}`,
  };
}

/**
 * @param {number | null} bytes
 * @returns {Goal}
 */
function idleMemory(bytes) {
  const goal = `idle RSS ≤ ${IDLE_RSS_MIB} MiB`;
  if (bytes === null) return notMeasured(goal);
  const mib = bytes / 1048576;
  const met = mib <= IDLE_RSS_MIB;
  return {
    goal,
    measured: `${fixed(mib)} MiB`,
    met,
    distance: met
      ? `${fixed(IDLE_RSS_MIB - mib)} MiB to spare`
      : `${fixed(mib - IDLE_RSS_MIB)} MiB too many (cut ${percent(1 - IDLE_RSS_MIB / mib)})`,
  };
}

/**
 * @param {string} goal
 * @returns {Goal}
 */
function notMeasured(goal) {
  return { goal, measured: 'not measured in this run', met: null, distance: 'n/a' };
}

/**
 * @param {number} value
 * @param {number} [digits]
 */
function fixed(value, digits = 1) {
  return value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** @param {number} share */
function percent(share) {
  return `${Math.round(share * 100)} %`;
}
