// Case 4, footprint: start-up time to ready (spawn to the first 200 from GET /health/ready) and
// resident memory (VmRSS from /proc) idle and under load.
import { setTimeout as sleep } from 'node:timers/promises';
import { metricSum, scrapeMetrics } from '../app-client.mjs';
import { residentBytes, startApp } from '../processes.mjs';

/**
 * @typedef {{ readyMs: number, idleRssBytes: number | null, idleRssBytesFromMetrics?: number | null }} Start
 */

/**
 * Starts one instance at a time on the already migrated database, nothing else running on it.
 * @param {import('../context.mjs').BenchContext} ctx
 */
export async function soloStarts(ctx) {
  const s = ctx.settings.footprint;
  /** @type {Start[]} */
  const starts = [];
  for (let i = 0; i < s.starts; i++) {
    const app = await startApp({ ...ctx.appOptions, env: { PROACTIVE_REFRESH: 'off' } });
    try {
      await sleep(s.settleMs);
      const metrics = await scrapeMetrics(app.url);
      starts.push({
        readyMs: Math.round(app.readyMs),
        idleRssBytes: residentBytes(app.pid),
        idleRssBytesFromMetrics: metrics
          ? metricSum(metrics, 'process_resident_memory_bytes')
          : null,
      });
    } finally {
      await app.stop();
    }
    const { readyMs, idleRssBytes } = starts[starts.length - 1];
    ctx.log(`  solo start ${i + 1}: ready in ${readyMs} ms, idle RSS ${mb(idleRssBytes)} MiB`);
  }
  return starts;
}

/** @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * The median, or null when any value is unknown.
 * @param {(number | null | undefined)[]} values
 */
function medianOfKnown(values) {
  const known = values.filter((value) => typeof value === 'number');
  return known.length === values.length ? median(known) : null;
}

/** @param {number | null | undefined} bytes */
export function mb(bytes) {
  return bytes === null || bytes === undefined ? null : Math.round((bytes / 1048576) * 10) / 10;
}

/**
 * Start-up and memory figures gathered over the whole run.
 * @param {{ firstStart: Start, solo: Start[],
 *   overhead: Awaited<ReturnType<typeof import('./overhead.mjs').overhead>>,
 *   many: Awaited<ReturnType<typeof import('./many-users.mjs').manyUsers>>,
 *   storm: Awaited<ReturnType<typeof import('./refresh-storm.mjs').refreshStorm>>,
 *   rssAfterLoadBytes: number | null }} gathered
 */
export function footprintSummary({ firstStart, solo, overhead, many, storm, rssAfterLoadBytes }) {
  const profileLoads = overhead.rssUnderLoad;
  return {
    readyMsFreshDatabase: firstStart.readyMs,
    readyMsMigratedDatabase: median(solo.map((start) => start.readyMs)),
    readyMsMigratedDatabaseRuns: solo.map((start) => start.readyMs),
    readyMsWithManyUsers: median(many.runs.map((run) => run.appReadyMs)),
    idleRssBytes: medianOfKnown(solo.map((start) => start.idleRssBytes)),
    idleRssBytesFromMetrics: medianOfKnown(solo.map((start) => start.idleRssBytesFromMetrics)),
    stormMaxRssBytes: storm.rss.maxBytes,
    underLoadMaxRssBytes: Math.max(...profileLoads.map((load) => load.maxBytes)),
    underLoadByOperation: profileLoads.map((load) => ({
      operation: load.operation,
      latencyMs: load.latencyMs,
      maxRssBytes: load.maxBytes,
      meanRssBytes: Math.round(load.meanBytes),
    })),
    afterLoadRssBytes: rssAfterLoadBytes,
    manyUsersLoadMaxRssBytes: Math.max(...many.runs.map((run) => run.rssMaxBytes)),
  };
}
