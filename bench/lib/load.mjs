// Load generation with autocannon: bounded by a request count or a duration, loopback only.
import autocannon from 'autocannon';

/** The numbers kept from an autocannon result. */
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

function round(value, digits) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function run(options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/**
 * `count` requests at once, one per connection, spread round-robin over `urls`; every response
 * must pass `verifyBody`. Latency is per request, from its send to its answer.
 */
export async function burst({ urls, count, path, method = 'POST', headers, body, verifyBody }) {
  const result = await run({
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

/** Keeps `connections` connections busy for `durationSec` seconds (after a short warm-up). */
export async function sustained({
  url,
  connections,
  durationSec,
  warmupSec = 1,
  method = 'GET',
  headers,
  body,
  verifyBody,
  requests,
}) {
  const options = { url, connections, method, headers, body, verifyBody, requests, timeout: 30 };
  if (warmupSec > 0) await run({ ...options, duration: warmupSec });
  return summarize(await run({ ...options, duration: durationSec }));
}
