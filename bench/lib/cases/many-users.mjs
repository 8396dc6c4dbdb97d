// Case 3, many users: 10,000 users whose tokens expire over a window, a steady request load over
// all of them while the proactive refresher runs; then the database cost of finding due tokens at
// 10,000 and 100,000 stored tokens.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { emulatorAdmin, grantDirectly, tokenCalls } from '../google.mjs';
import { round, runAutocannon, summarize } from '../load.mjs';
import { counterDelta, readCounters } from '../metrics.mjs';
import { sampleResident, startApp } from '../processes.mjs';

const PROFILE = JSON.stringify({ query: '{ profile { sub } }' });

/** @typedef {import('../context.mjs').BenchContext} BenchContext */
/** @typedef {BenchContext['settings']['manyUsers']} ManyUsersSettings */
/** @typedef {{ sub: string } & Awaited<ReturnType<typeof grantDirectly>>} Grant */
/**
 * @typedef {{ userId: string, tokenId: string, sub: string, emulatorSub: string, grant: Grant,
 *   bearer: string }} SeededUser
 */

/**
 * Real grants at the emulator, none shared: `emulatorUsers` accounts, each consenting
 * `grantsPerUser` times (the emulator keeps 100 live refresh tokens per account and client).
 * @param {BenchContext} ctx
 * @param {ManyUsersSettings} settings
 */
async function seedGrants(ctx, { emulatorUsers, grantsPerUser }) {
  const admin = emulatorAdmin(ctx.emulator.url);
  const subs = [];
  for (let i = 0; i < emulatorUsers; i++) {
    const user = await admin.addUser({
      sub: `7${String(i).padStart(20, '0')}`,
      email: `load${i}@example.com`,
      name: `Load User ${i}`,
    });
    subs.push(user.sub);
  }
  const jobs = subs.flatMap((sub) => Array.from({ length: grantsPerUser }, () => sub));
  /** @type {Grant[]} */
  const grants = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < jobs.length) {
        const sub = jobs[next++];
        grants.push({
          sub,
          ...(await grantDirectly(ctx.emulator.url, { sub, redirectUri: ctx.redirectUri })),
        });
      }
    }),
  );
  return grants;
}

/**
 * One app user, token row and API session per grant, written as the app writes them.
 * @param {BenchContext} ctx
 * @param {Grant[]} grants
 * @returns {Promise<SeededUser[]>}
 */
async function insertUsers(ctx, grants) {
  const users = grants.map((grant, index) => ({
    userId: randomUUID(),
    tokenId: randomUUID(),
    sub: `load-${index}`,
    emulatorSub: grant.sub,
    grant,
    bearer: randomBytes(32).toString('base64url'),
  }));
  const farFuture = new Date(Date.now() + 2 * 3600_000);
  for (let start = 0; start < users.length; start += 1000) {
    const chunk = users.slice(start, start + 1000);
    await insertRows(
      ctx.db,
      'users',
      ['id', 'google_sub', 'email', 'email_verified', 'name'],
      chunk.map((u, i) => [
        u.userId,
        u.sub,
        `load${start + i}@example.com`,
        true,
        `Load User ${start + i}`,
      ]),
    );
    await insertRows(
      ctx.db,
      'oauth_tokens',
      [
        'id',
        'user_id',
        'provider',
        'access_token_ciphertext',
        'refresh_token_ciphertext',
        'key_id',
        'scopes',
        'token_type',
        'expires_at',
        'state',
        'version',
      ],
      chunk.map((u) => [
        u.tokenId,
        u.userId,
        'google',
        ctx.codec.encrypt(u.tokenId, 'access_token', u.grant.access_token),
        ctx.codec.encrypt(u.tokenId, 'refresh_token', u.grant.refresh_token),
        ctx.codec.keyId,
        u.grant.scope,
        'Bearer',
        farFuture,
        'ACTIVE',
        1,
      ]),
    );
    await insertRows(
      ctx.db,
      'sessions',
      ['id_hash', 'user_id', 'expires_at', 'last_seen_at'],
      chunk.map((u) => [
        createHash('sha256').update(u.bearer).digest('hex'),
        u.userId,
        new Date(Date.now() + 86400_000),
        new Date(),
      ]),
    );
  }
  return users;
}

/**
 * @param {import('../database.mjs').BenchDatabase} db
 * @param {string} table
 * @param {string[]} columns
 * @param {unknown[][]} rows
 */
async function insertRows(db, table, columns, rows) {
  const values = rows.map(
    (row, r) => `(${row.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`,
  );
  await db.query(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values.join(', ')}`,
    rows.flat(),
  );
}

/**
 * One run: fresh app with the proactive refresher on, expiries spread, steady load over every user.
 * @param {BenchContext} ctx
 * @param {SeededUser[]} users
 * @param {number} latencyMs
 * @param {ManyUsersSettings} s
 */
async function loadRun(ctx, users, latencyMs, s) {
  const { db, log } = ctx;
  const admin = emulatorAdmin(ctx.emulator.url);
  await db.query(
    `UPDATE oauth_tokens SET expires_at = now() + interval '2 hours', refresh_lease_owner = NULL,
       refresh_lease_expires_at = NULL, refresh_cooldown_until = NULL WHERE id = ANY($1)`,
    [users.map((u) => u.tokenId)],
  );
  const app = await startApp({
    ...ctx.appOptions,
    env: {
      PROACTIVE_REFRESH: 'on',
      REFRESH_LEEWAY_SECONDS: String(s.leewaySec),
      PROACTIVE_REFRESH_WINDOW_SECONDS: String(s.windowSec),
      PROACTIVE_REFRESH_INTERVAL_SECONDS: String(s.intervalSec),
      PROACTIVE_REFRESH_BATCH_SIZE: String(s.batchSize),
    },
  });
  try {
    await admin.setLatency(latencyMs);
    // Expiries uniformly over [now + start, now + start + spread], users in random order.
    const plannedAt = Date.now();
    const order = shuffled(users.map((_, i) => i));
    /** @type {number[]} */
    const expiries = new Array(users.length);
    order.forEach((userIndex, rank) => {
      expiries[userIndex] =
        plannedAt + (s.expiryStartSec + (s.expirySpreadSec * rank) / users.length) * 1000;
    });
    await db.query(
      `UPDATE oauth_tokens t SET expires_at = v.expires_at
       FROM unnest($1::text[], $2::timestamptz[]) AS v(id, expires_at) WHERE t.id = v.id`,
      [users.map((u) => u.tokenId), expiries.map((ms) => new Date(ms))],
    );
    const countersBefore = await readCounters([app.url]);
    const statsBefore = await admin.stats();
    /** @type {{ index: number, at: number }[]} */
    const sent = [];
    const stopSampling = sampleResident(app.pid);
    const result = summarize(
      await runAutocannon({
        url: app.url,
        connections: s.connections,
        overallRate: s.ratePerSec,
        duration: s.loadSec,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            path: '/graphql',
            setupRequest: (request) => {
              const index = Math.floor(Math.random() * users.length);
              sent.push({ index, at: Date.now() });
              request.headers = {
                ...request.headers,
                'content-type': 'application/json',
                authorization: `Bearer ${users[index].bearer}`,
              };
              request.body = PROFILE;
              return request;
            },
          },
        ],
        verifyBody: (body) => body.includes('"profile":{"sub"') && !body.includes('"errors"'),
      }),
    );
    const rss = stopSampling();
    const counters = counterDelta(countersBefore, await readCounters([app.url]));
    const statsAfter = await admin.stats();
    // Requests whose token was within the leeway of its planned expiry when sent: each would have
    // waited for a refresh had nothing refreshed it before.
    const leewayMs = s.leewaySec * 1000;
    const wouldHaveWaited = sent.filter(({ index, at }) => at >= expiries[index] - leewayMs).length;
    const [{ refreshed }] = /** @type {[{ refreshed: number }]} */ (
      await db.query(
        `SELECT count(*)::int AS refreshed FROM oauth_tokens WHERE id = ANY($1) AND expires_at > now() + interval '30 minutes'`,
        [users.map((u) => u.tokenId)],
      )
    );
    const run = {
      latencyMs,
      users: users.length,
      requests: result.requests,
      failed: result.failed,
      reqPerSec: result.reqPerSec,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      wouldHaveWaitedWithoutRefresher: wouldHaveWaited,
      requestsThatWaited: counters?.requestRefreshWaits ?? null,
      shareThatWaited: counters
        ? round(counters.requestRefreshWaits / Math.max(1, counters.profileOperations), 6)
        : null,
      refreshesTriggeredByRequests: counters?.requestRefreshes ?? null,
      proactiveRefreshes: counters?.proactiveRefreshes ?? null,
      upstreamRefreshCalls: tokenCalls(statsAfter) - tokenCalls(statsBefore),
      tokensRefreshedByEnd: refreshed,
      appReadyMs: Math.round(app.readyMs),
      rssMaxBytes: rss.maxBytes,
    };
    log(
      `  ${users.length} users, latency ${latencyMs} ms: ${run.requests} requests (${run.failed} failed), ` +
        `${run.requestsThatWaited} waited (${run.wouldHaveWaitedWithoutRefresher} would have without the refresher), ` +
        `${run.proactiveRefreshes} proactive and ${run.refreshesTriggeredByRequests} request refreshes`,
    );
    return run;
  } finally {
    await admin.setLatency(0);
    await app.stop();
  }
}

/** @param {BenchContext} ctx */
export async function manyUsers(ctx) {
  const s = ctx.settings.manyUsers;
  const seedStarted = performance.now();
  const grants = await seedGrants(ctx, s);
  const seedGrantsMs = performance.now() - seedStarted;
  const users = await insertUsers(ctx, grants);
  const seedMs = performance.now() - seedStarted;
  ctx.log(`  seeded ${users.length} users with real grants in ${(seedMs / 1000).toFixed(1)} s`);
  const runs = [];
  for (const latencyMs of s.latencies) runs.push(await loadRun(ctx, users, latencyMs, s));
  return {
    users: users.length,
    seeding: {
      method: `${s.emulatorUsers} emulator accounts x ${s.grantsPerUser} consents each (authorization request, consent form, code exchange): ${users.length} distinct refresh tokens, none shared; app users, token rows (encrypted with the app's TokenCipher) and sessions inserted with SQL`,
      grantsMs: Math.round(seedGrantsMs),
      totalMs: Math.round(seedMs),
    },
    settings: {
      leewaySec: s.leewaySec,
      proactiveWindowSec: s.windowSec,
      proactiveIntervalSec: s.intervalSec,
      proactiveBatchSize: s.batchSize,
      expiriesFromSec: s.expiryStartSec,
      expiriesOverSec: s.expirySpreadSec,
      loadSec: s.loadSec,
      ratePerSec: s.ratePerSec,
      connections: s.connections,
    },
    runs,
    tokenIds: users.map((u) => u.tokenId),
  };
}

/**
 * @template T
 * @param {T[]} items
 */
function shuffled(items) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
