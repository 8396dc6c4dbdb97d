// Counter deltas of the app's Prometheus metrics, summed over several instances.
import { metricSum, scrapeMetrics } from './app-client.mjs';

/** @type {Record<string, [name: string, labels: Record<string, string>]>} */
export const COUNTERS = {
  requestRefreshes: ['tokenkeep_refreshes_total', { trigger: 'request' }],
  proactiveRefreshes: ['tokenkeep_refreshes_total', { trigger: 'proactive' }],
  requestRefreshWaits: ['tokenkeep_request_refresh_waits_total', {}],
  leaseWaits: ['tokenkeep_lease_waits_total', {}],
  profileOperations: ['tokenkeep_graphql_operations_total', { operation: 'profile' }],
};

/**
 * Reads every counter on every instance; null when an instance serves no metrics.
 * @param {string[]} urls
 * @returns {Promise<Record<string, number> | null>}
 */
export async function readCounters(urls) {
  /** @type {Record<string, number>[]} */
  const scraped = [];
  for (const values of await Promise.all(urls.map((url) => scrapeMetrics(url)))) {
    if (values === null) return null;
    scraped.push(values);
  }
  return Object.fromEntries(
    Object.entries(COUNTERS).map(([key, [name, labels]]) => [
      key,
      scraped.reduce((sum, values) => sum + metricSum(values, name, labels), 0),
    ]),
  );
}

/**
 * @param {Record<string, number> | null} before
 * @param {Record<string, number> | null} after
 * @returns {Record<string, number> | null}
 */
export function counterDelta(before, after) {
  if (!before || !after) return null;
  return Object.fromEntries(Object.keys(after).map((key) => [key, after[key] - before[key]]));
}
