// Case 2, overhead: GraphQL operations through the app against the emulator with a valid token,
// beside direct calls to the emulator's endpoints from the same load generator with the same
// number of connections.
import { storedAccessToken } from '../context.mjs';
import { round, sustained } from '../load.mjs';
import { sampleResident } from '../processes.mjs';

/** @param {string} query */
const gql = (query) => JSON.stringify({ query });

/**
 * @param {import('../context.mjs').BenchContext} ctx
 * @param {{ app: import('../../../scripts/app-process.mjs').AppProcess, bearer: string, sub: string }} subject
 */
export async function overhead(ctx, { app, bearer, sub }) {
  const { settings, admin, log } = ctx;
  const accessToken = await storedAccessToken(ctx, sub);
  const appHeaders = { 'content-type': 'application/json', authorization: `Bearer ${bearer}` };
  const noErrors = (/** @type {string} */ body) => !body.includes('"errors"');
  /** @type {(import('../load.mjs').Target & { name: string, via: 'app' | 'emulator', url: string })[]} */
  const targets = [
    {
      name: 'profile',
      via: 'app',
      url: `${app.url}/graphql`,
      method: 'POST',
      headers: appHeaders,
      body: gql('{ profile { sub name email emailVerified } }'),
      verifyBody: (body) => noErrors(body) && body.includes(`"sub":"${sub}"`),
    },
    {
      name: 'userinfo (direct)',
      via: 'emulator',
      url: `${ctx.emulator.url}/v1/userinfo`,
      method: 'GET',
      headers: { authorization: `Bearer ${accessToken}` },
      verifyBody: (body) => body.includes(`"sub":"${sub}"`),
    },
    {
      name: 'validateToken',
      via: 'app',
      url: `${app.url}/graphql`,
      method: 'POST',
      headers: appHeaders,
      body: gql('{ validateToken { valid expiresInSeconds scopes audienceMatches email } }'),
      verifyBody: (body) => noErrors(body) && body.includes('"valid":true'),
    },
    {
      name: 'tokeninfo (direct)',
      via: 'emulator',
      url: `${ctx.emulator.url}/tokeninfo`,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: accessToken }).toString(),
      verifyBody: (body) => body.includes('"aud"') && !body.includes('"error"'),
    },
    {
      name: 'tokenStatus',
      via: 'app',
      url: `${app.url}/graphql`,
      method: 'POST',
      headers: appHeaders,
      body: gql('{ tokenStatus { state scopes expiresAt expiresInSeconds hasRefreshToken } }'),
      verifyBody: (body) => noErrors(body) && body.includes('"state":"ACTIVE"'),
    },
  ];

  /** @type {({ latencyMs: number, operation: string, via: string } & import('../load.mjs').LoadSummary)[]} */
  const rows = [];
  /** @type {({ operation: string, latencyMs: number } & ReturnType<ReturnType<typeof sampleResident>>)[]} */
  const rssUnderLoad = [];
  for (const latencyMs of settings.latencies) {
    await admin.setLatency(latencyMs);
    for (const target of targets) {
      const stopSampling = target.via === 'app' ? sampleResident(app.pid) : null;
      const result = await sustained({
        url: target.url,
        connections: settings.overhead.connections,
        durationSec: settings.overhead.durationSec,
        warmupSec: settings.overhead.warmupSec,
        method: target.method,
        headers: target.headers,
        body: target.body,
        verifyBody: target.verifyBody,
      });
      if (stopSampling) rssUnderLoad.push({ operation: target.name, latencyMs, ...stopSampling() });
      rows.push({ latencyMs, operation: target.name, via: target.via, ...result });
      log(
        `  ${target.name}, latency ${latencyMs} ms: ${result.reqPerSec} req/s, p50 ${result.p50Ms} ms, ` +
          `p99 ${result.p99Ms} ms, ${result.failed} failed`,
      );
    }
  }

  // One connection: the latency each adds when nothing queues.
  const unloaded = [];
  for (const latencyMs of settings.latencies) {
    await admin.setLatency(latencyMs);
    for (const target of targets.filter((t) => ['profile', 'userinfo (direct)'].includes(t.name))) {
      const result = await sustained({
        url: target.url,
        connections: 1,
        durationSec: settings.overhead.unloadedSec,
        warmupSec: 0,
        method: target.method,
        headers: target.headers,
        body: target.body,
        verifyBody: target.verifyBody,
      });
      unloaded.push({
        latencyMs,
        operation: target.name,
        via: target.via,
        connections: 1,
        ...result,
      });
      log(
        `  ${target.name}, 1 connection, latency ${latencyMs} ms: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`,
      );
    }
  }
  await admin.setLatency(0);

  const find = (/** @type {number} */ latencyMs, /** @type {string} */ operation) => {
    const found = rows.find((row) => row.latencyMs === latencyMs && row.operation === operation);
    if (!found) throw new Error(`no overhead row for ${operation} at ${latencyMs} ms`);
    return found;
  };
  const ratios = settings.latencies.flatMap((latencyMs) =>
    [
      ['profile', 'userinfo (direct)'],
      ['validateToken', 'tokeninfo (direct)'],
    ].map(([through, direct]) => {
      const a = find(latencyMs, through);
      const b = find(latencyMs, direct);
      return {
        latencyMs,
        operation: through,
        direct,
        throughputRatio: round(a.reqPerSec / b.reqPerSec, 3),
        addedP50Ms: a.p50Ms - b.p50Ms,
        addedP99Ms: a.p99Ms - b.p99Ms,
      };
    }),
  );
  return {
    connections: settings.overhead.connections,
    durationSec: settings.overhead.durationSec,
    rows,
    ratios,
    unloaded,
    rssUnderLoad,
  };
}
