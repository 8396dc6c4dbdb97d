// Case 3b, the database cost of finding due tokens: the app's own TokenStore queries (from dist/)
// timed against the same database at 10,000 and at 100,000 stored tokens, with the same number due.
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { fromDist } from '../dist.mjs';

const { parseKeyring } = /** @type {typeof import('../../../src/config/keyring.js')} */ (
  await fromDist('src/config/keyring.js')
);
const { dataSourceOptions } =
  /** @type {typeof import('../../../src/database/data-source-options.js')} */ (
    await fromDist('src/database/data-source-options.js')
  );
const { OAuthTokenEntity } =
  /** @type {typeof import('../../../src/tokens/oauth-token.entity.js')} */ (
    await fromDist('src/tokens/oauth-token.entity.js')
  );
const { TokenCipher } = /** @type {typeof import('../../../src/tokens/token-cipher.js')} */ (
  await fromDist('src/tokens/token-cipher.js')
);
const { TokenEventEntity } =
  /** @type {typeof import('../../../src/tokens/token-event.entity.js')} */ (
    await fromDist('src/tokens/token-event.entity.js')
  );
const { TokenStore } = /** @type {typeof import('../../../src/tokens/token-store.service.js')} */ (
  await fromDist('src/tokens/token-store.service.js')
);
const { CacheCoherence } = /** @type {typeof import('../../../src/cache/cache-coherence.js')} */ (
  await fromDist('src/cache/cache-coherence.js')
);

/** @typedef {import('../database.mjs').BenchDatabase} BenchDatabase */
/** @typedef {import('../context.mjs').BenchContext['settings']['sweep']} SweepSettings */
/** @typedef {InstanceType<typeof TokenStore>} Store */
/** @typedef {[sql: string, parameters: unknown[]]} Statement */
/** @typedef {{ sink: Statement[] | null }} Capture */

/**
 * @param {import('../context.mjs').BenchContext} ctx
 * @param {{ tokenIds: string[] }} seeded the token rows of case 3
 */
export async function sweepCost(ctx, { tokenIds }) {
  const s = ctx.settings.sweep;
  const { db, log } = ctx;
  // Every statement the store sends passes here, so the exact SQL of findExpiring and findIdle
  // can be explained.
  /** @type {Capture} */
  const capture = { sink: null };
  const logger = {
    logQuery: (/** @type {string} */ query, /** @type {unknown[] | undefined} */ parameters) =>
      void capture.sink?.push([query, parameters ?? []]),
    logQueryError: () => {},
    logQuerySlow: () => {},
    logSchemaBuild: () => {},
    logMigration: () => {},
    log: () => {},
  };
  const dataSource = new DataSource({
    ...dataSourceOptions({ type: 'postgres', url: db.url }, 2),
    logger,
  });
  await dataSource.initialize();
  try {
    const store = new TokenStore(
      dataSource.getRepository(OAuthTokenEntity),
      dataSource.getRepository(TokenEventEntity),
      new TokenCipher(parseKeyring(ctx.keyring)),
      // Only the due-token queries run here: no cache.
      new CacheCoherence(
        /** @type {import('../../../src/config/app-config.js').AppConfig} */ (
          /** @type {unknown} */ ({ database: { type: 'postgres', url: db.url }, cacheMaxLagMs: 0 })
        ),
      ),
    );
    // Every seeded token far from expiry, then exactly `due` of them inside the window.
    await db.query(
      `UPDATE oauth_tokens SET expires_at = now() + interval '2 hours' + random() * interval '1 hour' WHERE id = ANY($1)`,
      [tokenIds],
    );
    await db.query(
      `UPDATE oauth_tokens SET expires_at = now() + interval '90 seconds' WHERE id = ANY($1)`,
      [tokenIds.slice(0, s.due)],
    );

    /** @type {({ label: string, stored: number, due: number } & Awaited<ReturnType<typeof timeSweep>>)[]} */
    const rows = [];
    const measure = async (/** @type {string} */ label) => {
      await db.query('ANALYZE oauth_tokens');
      const stored = await storedTokens(db);
      const row = { label, stored, due: s.due, ...(await timeSweep(store, db, s, capture)) };
      rows.push(row);
      log(
        `  ${label}: ${stored} stored, findExpiring p50 ${row.findExpiringMs.p50} ms, ` +
          `sweep queries p50 ${row.sweepQueriesMs.p50} ms, rows read ${row.plan.rowsRead} + ${row.idlePlan.rowsRead}`,
      );
    };

    await measure(
      `the ${tokenIds.length.toLocaleString('en')} users of case 3 (plus the storm user)`,
    );
    const stored = await storedTokens(db);
    const filler = s.storedLarge - stored;
    if (filler > 0) {
      // Tokens not due (expiring in 1 to 25 hours), with dummy ciphertext: only their index
      // entries and rows matter to the queries measured.
      await db.query(
        `INSERT INTO users (id, google_sub, email, email_verified, name)
         SELECT gen_random_uuid()::text, 'filler-' || g, 'filler' || g || '@example.com', true, 'Filler ' || g
         FROM generate_series(1, $1) AS g`,
        [filler],
      );
      await db.query(
        `INSERT INTO oauth_tokens (id, user_id, provider, access_token_ciphertext, refresh_token_ciphertext,
           key_id, scopes, token_type, expires_at, state, version)
         SELECT gen_random_uuid()::text, u.id, 'google', 'v1:filler', 'v1:filler', $1, 'openid email profile',
           'Bearer', now() + interval '1 hour' + random() * interval '24 hours', 'ACTIVE', 1
         FROM users u WHERE u.google_sub LIKE 'filler-%'`,
        [ctx.codec.keyId],
      );
    }
    await measure('filler rows not due (expiring in 1 to 25 h)');

    // The same 100,000, but the filler rows are dead grants: REAUTH_REQUIRED keeps its last
    // expires_at (in the past) and updated_at stops moving, as markReauthRequired leaves them.
    await db.query(
      `UPDATE oauth_tokens SET state = 'REAUTH_REQUIRED',
         expires_at = now() - interval '1 day' - random() * interval '150 days',
         updated_at = now() - interval '31 days' - random() * interval '150 days'
       WHERE user_id IN (SELECT id FROM users WHERE google_sub LIKE 'filler-%')`,
    );
    await measure(
      'the same filler rows as dead grants (REAUTH_REQUIRED, expired 1 to 150 days ago)',
    );
    return {
      query:
        'TokenStore.findExpiring(now + window, now, batchSize) and findIdle(now - keepalive, batchSize)',
      windowSec: s.windowSec,
      batchSize: s.batchSize,
      runs: s.runs,
      rows,
    };
  } finally {
    await dataSource.destroy();
  }
}

/**
 * @param {Store} store
 * @param {BenchDatabase} db
 * @param {SweepSettings} s
 * @param {Capture} capture
 */
async function timeSweep(store, db, s, capture) {
  const now = () => new Date();
  const until = () => new Date(Date.now() + s.windowSec * 1000);
  const idleSince = () => new Date(Date.now() - s.keepaliveDays * 86_400_000);
  const findExpiring = () => store.findExpiring(until(), now(), s.batchSize);
  const findIdle = () => store.findIdle(idleSince(), s.batchSize);
  const sweepQueries = async () => {
    await findExpiring();
    await findIdle();
  };
  for (let i = 0; i < s.warmup; i++) await sweepQueries();
  const found = await findExpiring();
  const findExpiringMs = await timed(findExpiring, s.runs);
  const sweepQueriesMs = await timed(sweepQueries, s.runs);
  return {
    found: found.length,
    findExpiringMs,
    sweepQueriesMs,
    plan: await explain(db, capture, findExpiring),
    idlePlan: await explain(db, capture, findIdle),
  };
}

/**
 * EXPLAIN ANALYZE of the one statement `work` sends.
 * @param {BenchDatabase} db
 * @param {Capture} capture
 * @param {() => Promise<unknown>} work
 */
async function explain(db, capture, work) {
  /** @type {Statement[]} */
  const sent = [];
  capture.sink = sent;
  try {
    await work();
  } finally {
    capture.sink = null;
  }
  const [[sql, parameters]] = sent;
  const [{ 'QUERY PLAN': plans }] = /** @type {[{ 'QUERY PLAN': ExplainedPlan[] }]} */ (
    await db.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, parameters)
  );
  return summarizePlan(plans[0]);
}

/** @param {BenchDatabase} db */
async function storedTokens(db) {
  const [{ stored }] = /** @type {[{ stored: number }]} */ (
    await db.query('SELECT count(*)::int AS stored FROM oauth_tokens')
  );
  return stored;
}

/**
 * @param {() => Promise<unknown>} work
 * @param {number} runs
 */
async function timed(work, runs) {
  /** @type {number[]} */
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const startedAt = performance.now();
    await work();
    samples.push(performance.now() - startedAt);
  }
  samples.sort((a, b) => a - b);
  const at = (/** @type {number} */ q) =>
    round(samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)]);
  return {
    p50: at(0.5),
    p99: at(0.99),
    mean: round(samples.reduce((a, b) => a + b, 0) / samples.length),
  };
}

/**
 * A node of EXPLAIN's JSON plan (the fields read here).
 * @typedef {{ Plans?: PlanNode[], 'Relation Name'?: string, 'Node Type': string,
 *   'Index Name'?: string, 'Actual Rows': number, 'Rows Removed by Filter'?: number,
 *   'Shared Hit Blocks'?: number, 'Shared Read Blocks'?: number }} PlanNode
 */
/** @typedef {{ Plan: PlanNode, 'Execution Time': number }} ExplainedPlan */

/**
 * The scan that reads oauth_tokens: its type, index, rows read and rows thrown away by the filter.
 * @param {ExplainedPlan} plan
 */
function summarizePlan(plan) {
  /** @type {PlanNode[]} */
  const nodes = [];
  const walk = (/** @type {PlanNode} */ node) => {
    nodes.push(node);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan.Plan);
  const scan = nodes.find((node) => node['Relation Name'] === 'oauth_tokens') ?? plan.Plan;
  const removed = scan['Rows Removed by Filter'] ?? 0;
  return {
    scan: scan['Node Type'],
    index: scan['Index Name'] ?? null,
    rowsReturned: scan['Actual Rows'],
    rowsRemovedByFilter: removed,
    rowsRead: scan['Actual Rows'] + removed,
    sharedBuffers: (scan['Shared Hit Blocks'] ?? 0) + (scan['Shared Read Blocks'] ?? 0),
    executionMs: round(plan['Execution Time']),
  };
}

/** @param {number} value */
function round(value) {
  return Math.round(value * 1000) / 1000;
}
