// Case 1, refresh storm: N requests at once for one user whose token has just expired, over 1 and
// over 3 instances on one PostgreSQL, beside a naive client that refreshes whenever it sees an
// expired token. Upstream refresh calls are counted at the emulator.
import { storedTokenRow } from '../context.mjs';
import { tokenCalls, grantDirectly } from '../google.mjs';
import { burst } from '../load.mjs';
import { counterDelta, readCounters } from '../metrics.mjs';
import { runNaiveClient, sampleResident } from '../processes.mjs';

const PROFILE = JSON.stringify({ query: '{ profile { sub } }' });

/**
 * One storm: N requests at once through Tokenkeep, or through the naive client.
 * @typedef {object} StormRow
 * @property {number} latencyMs
 * @property {'tokenkeep' | 'naive'} client
 * @property {number | null} instances null for the naive client
 * @property {number} concurrency
 * @property {boolean} rotation
 * @property {number} upstreamRefreshCalls
 * @property {number} failed
 * @property {{ errors: number, timeouts: number, non2xx: number, mismatches: number }} [failures]
 *   what the failed requests got: connection errors, timeouts, non-2xx answers, wrong bodies
 * @property {number} p50Ms
 * @property {number} p99Ms
 * @property {number} maxMs
 * @property {number} [refreshesStored]
 * @property {number} [durationSec]
 * @property {number} [appRefreshes]
 * @property {number} [requestsThatWaited]
 * @property {number} [leaseWaits]
 * @property {string} [firstFailure]
 */

/**
 * @param {import('../context.mjs').BenchContext} ctx
 * @param {{ apps: import('../../../scripts/app-process.mjs').AppProcess[], bearer: string, sub: string }} subject
 */
export async function refreshStorm(ctx, { apps, bearer, sub }) {
  const { settings, admin, log } = ctx;
  /** @type {StormRow[]} */
  const rows = [];
  const verifyBody = (/** @type {string} */ body) =>
    body.includes(`"sub":"${sub}"`) && !body.includes('"errors"');
  const tokenRow = () => storedTokenRow(ctx, sub);

  /**
   * @param {number} latencyMs
   * @param {number} instances
   * @param {number} count
   * @param {boolean} rotation
   */
  async function appStorm(latencyMs, instances, count, rotation) {
    const urls = apps.slice(0, instances).map((app) => app.url);
    const before = await tokenRow();
    // The app now sees the token expired a second ago, as if its hour had just run out.
    await ctx.db.query(
      `UPDATE oauth_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`,
      [before.id],
    );
    const countersBefore = await readCounters(urls);
    await admin.resetStats();
    const result = await burst({
      urls,
      count,
      path: '/graphql',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: PROFILE,
      verifyBody,
    });
    const stats = await admin.stats();
    const counters = counterDelta(countersBefore, await readCounters(urls));
    const after = await tokenRow();
    /** @type {StormRow} */
    const row = {
      latencyMs,
      client: 'tokenkeep',
      instances,
      concurrency: count,
      rotation,
      upstreamRefreshCalls: tokenCalls(stats),
      refreshesStored: after.refresh_count - before.refresh_count,
      failed: result.failed,
      failures: {
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        mismatches: result.mismatches,
      },
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      maxMs: result.maxMs,
      durationSec: result.durationSec,
      ...(counters
        ? {
            appRefreshes: counters.requestRefreshes,
            requestsThatWaited: counters.requestRefreshWaits,
            leaseWaits: counters.leaseWaits,
          }
        : {}),
    };
    log(
      `  storm ${count} on ${instances} instance(s), latency ${latencyMs} ms${rotation ? ', rotation' : ''}: ` +
        `${row.upstreamRefreshCalls} refresh call(s), ${row.failed} failed, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms`,
    );
    return row;
  }

  /**
   * @param {number} latencyMs
   * @param {number} count
   * @param {boolean} rotation
   */
  async function naiveStorm(latencyMs, count, rotation) {
    let refreshToken;
    if (rotation) {
      // Its own grant: rotating the app's refresh token under it would end the app's grant.
      refreshToken = (await grantDirectly(ctx.emulator.url, { sub, redirectUri: ctx.redirectUri }))
        .refresh_token;
    } else {
      const row = await tokenRow();
      refreshToken = ctx.codec.decrypt(row.id, 'refresh_token', row.refresh_token_ciphertext);
    }
    await admin.resetStats();
    const result = await runNaiveClient({ emulatorUrl: ctx.emulator.url, refreshToken, count });
    const stats = await admin.stats();
    /** @type {StormRow} */
    const row = {
      latencyMs,
      client: 'naive',
      instances: null,
      concurrency: count,
      rotation,
      upstreamRefreshCalls: tokenCalls(stats),
      failed: result.failed,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      maxMs: result.maxMs,
      ...(result.firstFailure ? { firstFailure: result.firstFailure } : {}),
    };
    log(
      `  naive ${count}, latency ${latencyMs} ms${rotation ? ', rotation' : ''}: ` +
        `${row.upstreamRefreshCalls} refresh call(s), ${row.failed} failed, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms`,
    );
    return row;
  }

  // Not recorded: one storm per instance first, so the measured ones do not pay for the first
  // refresh of a process (code paths not yet compiled, connections not yet opened).
  for (const app of apps) {
    const { id } = await tokenRow();
    await ctx.db.query(
      `UPDATE oauth_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`,
      [id],
    );
    await burst({
      urls: [app.url],
      count: settings.storm.warmupCount,
      path: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: PROFILE,
    });
  }

  const stopSampling = sampleResident(apps[0].pid);
  for (const latencyMs of settings.latencies) {
    await admin.setLatency(latencyMs);
    for (const count of settings.storm.counts) {
      for (const instances of settings.storm.instances)
        rows.push(await appStorm(latencyMs, instances, count, false));
      rows.push(await naiveStorm(latencyMs, count, false));
    }
    // Refresh-token rotation on (Google does it for some clients; the emulator's fault): every
    // refresh returns a new refresh token and the previous one is refused with invalid_grant.
    const count = settings.storm.rotationCount;
    await admin.addFault({ endpoint: 'token', rotateRefreshTokens: true });
    for (const instances of settings.storm.instances)
      rows.push(await appStorm(latencyMs, instances, count, true));
    rows.push(await naiveStorm(latencyMs, count, true));
    await admin.setLatency(0);
  }
  return { request: '{ profile { sub } }', rows, rss: stopSampling() };
}
