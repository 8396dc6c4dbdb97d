// Load generation with autocannon: bounded by a request count or a duration, loopback only.
import autocannon from 'autocannon';
import { cpuTicks } from './processes.mjs';

/**
 * The numbers kept from an autocannon result.
 * @typedef {object} LoadSummary
 * @property {number} requests
 * @property {number} failed errors + timeouts + non-2xx + bodies that failed verifyBody
 * @property {number} errors
 * @property {number} timeouts
 * @property {number} non2xx
 * @property {number} mismatches
 * @property {number} reqPerSec
 * @property {number} p50Ms
 * @property {number} p99Ms
 * @property {number} maxMs
 * @property {number} durationSec
 */

/**
 * What every load sends.
 * @typedef {object} Target
 * @property {string} [method]
 * @property {Record<string, string>} [headers]
 * @property {string} [body]
 * @property {(body: string) => boolean} [verifyBody]
 */

/**
 * @param {import('autocannon').Result} result
 * @returns {LoadSummary}
 */
export function summarize(result) {
  const failed = result.errors + result.timeouts + result.non2xx + (result.mismatches ?? 0);
  return {
    requests: result.requests.total,
    failed,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    mismatches: result.mismatches ?? 0,
    reqPerSec: round(result.requests.total / result.duration, 1),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    durationSec: round(result.duration, 2),
  };
}

/**
 * @param {number} value
 * @param {number} digits
 */
export function round(value, digits) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * @param {import('autocannon').Options} options
 * @returns {Promise<import('autocannon').Result>}
 */
export function runAutocannon(options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/**
 * `count` requests at once, one per connection, spread round-robin over `urls`; every response
 * must pass `verifyBody`. Latency is per request, from its send to its answer.
 * @param {Target & { urls: string[], count: number, path: string }} load
 */
export async function burst({ urls, count, path, method = 'POST', headers, body, verifyBody }) {
  const result = await runAutocannon({
    url: urls.length === 1 ? urls[0] + path : urls.map((url) => url + path),
    connections: count,
    amount: count,
    method,
    headers,
    body,
    verifyBody,
    timeout: 60,
  });
  return summarize(result);
}

/**
 * Keeps `connections` connections busy for `durationSec` seconds (after a warm-up of `warmupSec`).
 * With `cpuOf`, also the CPU time each of those processes used during the measured part, in clock
 * ticks of /proc/<pid>/stat.
 * @template {Record<string, number>} [Pids={}]
 * @param {Target & { url: string, connections: number, durationSec: number, warmupSec?: number,
 *   cpuOf?: Pids }} load
 * @returns {Promise<LoadSummary & { cpuTicks: { [name in keyof Pids]: number } }>}
 */
export async function sustained({
  url,
  connections,
  durationSec,
  warmupSec = 1,
  method = 'GET',
  headers,
  body,
  verifyBody,
  cpuOf,
}) {
  /** @type {import('autocannon').Options} */
  const options = { url, connections, method, headers, body, verifyBody, timeout: 30 };
  if (warmupSec > 0) await runAutocannon({ ...options, duration: warmupSec });
  const pids = Object.entries(cpuOf ?? {});
  const before = pids.map(([, pid]) => cpuTicks(pid));
  const result = await runAutocannon({ ...options, duration: durationSec });
  /** @type {Record<string, number>} */
  const used = {};
  pids.forEach(([name, pid], index) => (used[name] = cpuTicks(pid) - before[index]));
  return { ...summarize(result), cpuTicks: /** @type {{ [name in keyof Pids]: number }} */ (used) };
}
