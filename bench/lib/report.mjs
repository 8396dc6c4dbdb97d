// The Markdown report of a run: the goals, then one table per case and how each number was
// measured. A run of one case (--only) shows that case alone.
import { mb } from './cases/footprint.mjs';

/**
 * What a run found, as bench/run.mjs writes it.
 * @typedef {object} Results
 * @property {string} generatedAt
 * @property {string} mode
 * @property {{ commit: string, uncommittedAppChanges: boolean } | null} revision
 * @property {{ cpus: number, cpuModel: string | null, memoryGb: number, node: string,
 *   platform: string, postgres: string, loadAverage: { atStart: number, atEnd: number } }} machine
 * @property {import('./settings.mjs').Settings} settings
 * @property {import('./goals.mjs').Goal[]} goals
 * @property {Cases} cases
 * @property {number} durationSec
 * @property {Record<string, number>} stepSeconds seconds each step took
 */

/**
 * @typedef {object} Cases
 * @property {Awaited<ReturnType<typeof import('./cases/refresh-storm.mjs').refreshStorm>>} [refreshStorm]
 * @property {Awaited<ReturnType<typeof import('./cases/overhead.mjs').overhead>>} [overhead]
 * @property {Omit<Awaited<ReturnType<typeof import('./cases/many-users.mjs').manyUsers>>, 'tokenIds'>
 *   & { sweepCost: Awaited<ReturnType<typeof import('./cases/sweep-cost.mjs').sweepCost>> }} [manyUsers]
 * @property {ReturnType<typeof import('./cases/footprint.mjs').footprintSummary>} [footprint]
 * @property {Awaited<ReturnType<typeof import('./cases/cpu-cost.mjs').cpuCost>>} [cpuCost]
 */

/**
 * @param {string[]} header
 * @param {(string | number)[][]} rows
 */
const table = (header, rows) =>
  [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');

/** @param {number | null | undefined} value */
const ms = (value) =>
  value === null || value === undefined ? 'n/a' : value === 0 ? '<1' : `${value}`;
/** @param {number} value */
const latency = (value) => (value === 0 ? 'none' : `${value} ms`);
/** @param {number | null | undefined} value */
const num = (value) => (value === null || value === undefined ? 'n/a' : value.toLocaleString('en'));
/** @param {number | null | undefined} value */
const pct = (value) =>
  value === null || value === undefined ? 'n/a' : `${(value * 100).toFixed(2)} %`;

/** @param {Results} results */
export function renderMarkdown(results) {
  const { refreshStorm, overhead, manyUsers, footprint, cpuCost } = results.cases;
  /** @type {string[]} */
  const lines = [];
  intro(lines, results);
  goalsSection(lines, results.goals);
  if (refreshStorm) stormSection(lines, refreshStorm);
  if (overhead) overheadSection(lines, overhead);
  if (manyUsers) manyUsersSection(lines, manyUsers);
  if (footprint && manyUsers) footprintSection(lines, footprint, manyUsers.users);
  if (cpuCost) cpuSection(lines, cpuCost);
  lines.push('');
  return `${lines.join('\n')}\n`;
}

/**
 * @param {string[]} lines
 * @param {Results} results
 */
function intro(lines, results) {
  const m = results.machine;
  lines.push(`# Tokenkeep benchmarks (${results.mode})`);
  lines.push('');
  lines.push(
    `${results.generatedAt}: ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, Node ${m.node}, PostgreSQL ${m.postgres}. ` +
      `Everything on loopback on one machine: load generator (autocannon), app instance(s), standalone Google emulator, PostgreSQL. ` +
      `Run time ${results.durationSec ?? 'n/a'} s; 1-minute load average ${m.loadAverage.atStart} at the start and ${m.loadAverage.atEnd} at the end (above ${m.cpus}, other work was competing for the CPUs: absolute numbers suffer, the ratios of one run less). "Provider latency" is the emulator's latency fault on its token, userinfo and tokeninfo endpoints.` +
      (results.revision
        ? ` Commit ${results.revision.commit.slice(0, 7)}${results.revision.uncommittedAppChanges ? ' with uncommitted changes in src/ or migrations/' : ''}.`
        : ''),
  );
}

/**
 * @param {string[]} lines
 * @param {import('./goals.mjs').Goal[]} goals
 */
function goalsSection(lines, goals) {
  lines.push('', '## Goals', '');
  lines.push(
    "Issue 11's goals, judged on this run: CPU and throughput as ratios to the raw baselines of case 5, measured in the same run with the same emulator, connections and load generator; the storm from case 1; idle memory from case 4.",
  );
  lines.push('');
  lines.push(
    table(
      ['Goal', 'Measured', 'Met', 'Distance'],
      goals.map((goal) => [
        goal.goal,
        goal.measured,
        goal.met === null ? 'n/a' : goal.met ? '**yes**' : '**no**',
        goal.distance,
      ]),
    ),
  );
}

/**
 * @param {string[]} lines
 * @param {NonNullable<Cases['refreshStorm']>} refreshStorm
 */
function stormSection(lines, refreshStorm) {
  lines.push('', '## 1. Refresh storm', '');
  lines.push(
    `N concurrent \`${refreshStorm.request}\` requests (one connection each) for one user whose stored token expired a second before; ` +
      'the naive client refreshes at the token endpoint whenever its cached token is expired, then calls userinfo. ' +
      'Upstream refresh calls are counted at the emulator (`/__emulator/stats`, reset before each storm); failed = errors, timeouts, non-2xx, or a body without the profile or with GraphQL errors; "requests that waited" is the app\'s `tokenkeep_request_refresh_waits_total`, summed over the instances used. ' +
      "Rotation: every refresh returns a new refresh token and the old one is refused with invalid_grant (the naive client then holds a grant of its own for the same user, so it cannot end the app's). " +
      'On 2 cores three instances share the same CPU: they show one refresh across processes, not more throughput.',
  );
  lines.push('');
  lines.push(
    table(
      [
        'Provider latency',
        'Client',
        'Instances',
        'Concurrent requests',
        'Rotation',
        'Upstream refresh calls',
        'Failed',
        'p50 ms',
        'p99 ms',
        'Requests that waited',
      ],
      refreshStorm.rows.map((row) => [
        latency(row.latencyMs),
        row.client === 'naive' ? 'naive client' : 'Tokenkeep',
        row.instances ?? '-',
        num(row.concurrency),
        row.rotation ? 'on' : 'off',
        `**${num(row.upstreamRefreshCalls)}**`,
        `**${num(row.failed)}**`,
        ms(row.p50Ms),
        ms(row.p99Ms),
        row.client === 'naive' ? '-' : num(row.requestsThatWaited),
      ]),
    ),
  );
}

/**
 * @param {string[]} lines
 * @param {NonNullable<Cases['overhead']>} overhead
 */
function overheadSection(lines, overhead) {
  lines.push('', '## 2. Overhead', '');
  lines.push(
    `${overhead.connections} connections, ${overhead.durationSec} s per row after a warm-up, one signed-in user with a valid token. ` +
      '"direct" rows call the emulator itself with the same access token from the same load generator.',
  );
  lines.push('');
  lines.push(
    table(
      ['Provider latency', 'Operation', 'req/s', 'p50 ms', 'p99 ms', 'Requests', 'Failed'],
      overhead.rows.map((row) => [
        latency(row.latencyMs),
        row.via === 'app' ? `\`${row.operation}\` (GraphQL)` : row.operation,
        num(row.reqPerSec),
        ms(row.p50Ms),
        ms(row.p99Ms),
        num(row.requests),
        num(row.failed),
      ]),
    ),
  );
  lines.push('');
  lines.push(
    table(
      [
        'Provider latency',
        'Through Tokenkeep',
        'Direct',
        'Throughput ratio',
        'Added p50 ms',
        'Added p99 ms',
      ],
      overhead.ratios.map((ratio) => [
        latency(ratio.latencyMs),
        `\`${ratio.operation}\``,
        ratio.direct,
        `**${ratio.throughputRatio}**`,
        ms(ratio.addedP50Ms),
        ms(ratio.addedP99Ms),
      ]),
    ),
  );

  if (overhead.unloaded?.length) {
    lines.push('');
    lines.push('One connection (latency without queueing):');
    lines.push('');
    lines.push(
      table(
        ['Provider latency', 'Operation', 'req/s', 'p50 ms', 'p99 ms', 'Failed'],
        overhead.unloaded.map((row) => [
          latency(row.latencyMs),
          row.via === 'app' ? `\`${row.operation}\` (GraphQL)` : row.operation,
          num(row.reqPerSec),
          ms(row.p50Ms),
          ms(row.p99Ms),
          num(row.failed),
        ]),
      ),
    );
  }
}

/**
 * @param {string[]} lines
 * @param {NonNullable<Cases['manyUsers']>} manyUsers
 */
function manyUsersSection(lines, manyUsers) {
  const s = manyUsers.settings;
  lines.push('', '## 3. Many users', '');
  lines.push(
    `${num(manyUsers.users)} users (${manyUsers.seeding.method}; ${(manyUsers.seeding.totalMs / 1000).toFixed(1)} s). ` +
      `Their tokens expire uniformly from ${s.expiriesFromSec} s to ${s.expiriesFromSec + s.expiriesOverSec} s after the load starts; ` +
      `one instance with the proactive refresher on (window ${s.proactiveWindowSec} s, every ${s.proactiveIntervalSec} s, batches of ${s.proactiveBatchSize}), ` +
      `refresh leeway ${s.leewaySec} s; \`{ profile { sub } }\` for a random user at ${s.ratePerSec} req/s over ${s.connections} connections for ${s.loadSec} s. ` +
      '"Waited" is the app\'s `tokenkeep_request_refresh_waits_total` over the load; "would have waited" counts requests sent when their user\'s token was already within the leeway of its planned expiry (each needed the refresher to have been there first).',
  );
  lines.push('');
  lines.push(
    table(
      [
        'Provider latency',
        'Requests',
        'Failed',
        'Waited for a refresh',
        'Share waited',
        'Would have waited without the refresher',
        'Proactive refreshes',
        'Refreshes by requests',
        'p50 ms',
        'p99 ms',
      ],
      manyUsers.runs.map((run) => [
        latency(run.latencyMs),
        num(run.requests),
        num(run.failed),
        `**${num(run.requestsThatWaited)}**`,
        `**${pct(run.shareThatWaited)}**`,
        num(run.wouldHaveWaitedWithoutRefresher),
        num(run.proactiveRefreshes),
        num(run.refreshesTriggeredByRequests),
        ms(run.p50Ms),
        ms(run.p99Ms),
      ]),
    ),
  );
  const sweep = manyUsers.sweepCost;
  lines.push('');
  lines.push(
    `Finding due tokens (\`${sweep.query}\`, window ${sweep.windowSec} s, batch ${sweep.batchSize}; ${sweep.runs} timed runs each, through the app's own TokenStore on the bench database):`,
  );
  lines.push('');
  lines.push(
    table(
      [
        'Stored tokens',
        'Due',
        'findExpiring p50 / p99 ms',
        'Sweep queries p50 / p99 ms',
        'Rows read by findExpiring',
        'Rows read by findIdle',
        'Plans',
      ],
      sweep.rows.map((row) => [
        `${num(row.stored)}: ${row.label}`,
        num(row.due),
        `${row.findExpiringMs.p50} / ${row.findExpiringMs.p99}`,
        `${row.sweepQueriesMs.p50} / ${row.sweepQueriesMs.p99}`,
        `**${num(row.plan.rowsRead)}**`,
        `**${num(row.idlePlan.rowsRead)}**`,
        [row.plan, row.idlePlan]
          .map((plan) => `${plan.scan}${plan.index ? ` on ${plan.index}` : ''}`)
          .join(', '),
      ]),
    ),
  );
  lines.push('');
  lines.push(
    '"Sweep queries" is what one pass of the proactive refresher asks the database besides the refreshes themselves: one `findExpiring` batch and one `findIdle` batch. ' +
      'Rows read = rows the scan returned plus rows its filter threw away (EXPLAIN ANALYZE of the exact SQL the store sent).',
  );
}

/**
 * @param {string[]} lines
 * @param {NonNullable<Cases['footprint']>} footprint
 * @param {number} users how many users case 3 stored
 */
function footprintSection(lines, footprint, users) {
  lines.push('', '## 4. Footprint', '');
  lines.push(
    table(
      ['Measure', 'Value'],
      [
        [
          'Start-up to ready, empty database (runs the migrations)',
          `${footprint.readyMsFreshDatabase} ms`,
        ],
        [
          `Start-up to ready, migrated database (median of ${footprint.readyMsMigratedDatabaseRuns.length})`,
          `${footprint.readyMsMigratedDatabase} ms`,
        ],
        [`Start-up to ready, ${num(users)} users stored`, `${footprint.readyMsWithManyUsers} ms`],
        ['Resident memory, idle after start', `${mb(footprint.idleRssBytes)} MiB`],
        [
          'Resident memory during the refresh storms (max, first instance)',
          `${mb(footprint.stormMaxRssBytes)} MiB`,
        ],
        [
          'Resident memory under load (max, overhead case)',
          `${mb(footprint.underLoadMaxRssBytes)} MiB`,
        ],
        ['Resident memory after the load', `${mb(footprint.afterLoadRssBytes)} MiB`],
        [
          `Resident memory under the ${num(users)}-user load (max)`,
          `${mb(footprint.manyUsersLoadMaxRssBytes)} MiB`,
        ],
      ],
    ),
  );
  lines.push('');
  lines.push(
    'Start-up: from spawning `node dist/src/main.js` to the first 200 from `GET /health/ready` (polled every 10 ms). ' +
      'Memory: VmRSS of the app process from /proc, sampled every 100 ms during loads' +
      (footprint.idleRssBytesFromMetrics
        ? ` (idle, its own \`process_resident_memory_bytes\` said ${mb(footprint.idleRssBytesFromMetrics)} MiB).`
        : '.'),
  );
}

/**
 * @param {string[]} lines
 * @param {NonNullable<Cases['cpuCost']>} cpuCost
 */
function cpuSection(lines, cpuCost) {
  lines.push('', '## 5. CPU cost', '');
  lines.push(
    `Server CPU per request: user + system time of the serving process from \`/proc/<pid>/stat\` (all its threads, ${cpuCost.clockTicksPerSecond} ticks a second), read before and after each load, divided by the requests answered. ` +
      `${cpuCost.connections} connections, ${cpuCost.rounds} round(s) of ${cpuCost.durationSec} s per row, the rows taken in turn in each round; req/s is the mean of the rounds, p50 and p99 their median. ` +
      "The raw rows are bare `node:http` servers in processes of their own, sent the very request the app gets for `me` and `profile`: one answers a small JSON body, the other GETs the emulator's `/v1/userinfo` with the user's access token through an undici `Pool` (keep-alive) and answers its email and name. " +
      'Emulator CPU is the standalone emulator\'s, for the rows that call it. "Error" is one clock tick as a share of the CPU measured (the most the reading can be off).',
  );
  lines.push('');
  const rawJson = cpuCost.rows.find((row) => row.kind === 'raw' && !row.callsUpstream);
  const rawProxy = cpuCost.rows.find((row) => row.kind === 'raw' && row.callsUpstream);
  lines.push(
    table(
      [
        'What',
        'CPU µs per request',
        '× raw',
        'req/s',
        'p50 ms',
        'p99 ms',
        'Requests',
        'Failed',
        'Error',
        'Emulator CPU µs per request',
      ],
      cpuCost.rows.map((row) => {
        const raw = row.kind === 'raw' ? null : row.callsUpstream ? rawProxy : rawJson;
        return [
          row.kind === 'raw' ? row.name : `\`${row.name}\``,
          `**${num(row.cpuUsPerRequest)}**`,
          raw && raw.cpuUsPerRequest > 0
            ? `${(row.cpuUsPerRequest / raw.cpuUsPerRequest).toFixed(1)}× ${raw === rawProxy ? 'proxy' : 'JSON'}`
            : '-',
          num(row.reqPerSec),
          ms(row.p50Ms),
          ms(row.p99Ms),
          num(row.requests),
          num(row.failed),
          `${row.cpuErrorPct} %`,
          row.upstreamCpuUsPerRequest === null ? '-' : num(row.upstreamCpuUsPerRequest),
        ];
      }),
    ),
  );
}
