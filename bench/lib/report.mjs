// The Markdown report of a run: one table per case, then how each number was measured.
import { mb } from './cases/footprint.mjs';

const table = (header, rows) =>
  [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');

const ms = (value) =>
  value === null || value === undefined ? 'n/a' : value === 0 ? '<1' : `${value}`;
const latency = (value) => (value === 0 ? 'none' : `${value} ms`);
const num = (value) => (value === null || value === undefined ? 'n/a' : value.toLocaleString('en'));
const pct = (value) =>
  value === null || value === undefined ? 'n/a' : `${(value * 100).toFixed(2)} %`;

export function renderMarkdown(results) {
  const { refreshStorm, overhead, manyUsers, footprint } = results.cases;
  const m = results.machine;
  const lines = [];
  lines.push(`# Tokenkeep benchmarks (${results.mode})`);
  lines.push('');
  lines.push(
    `${results.generatedAt}: ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, Node ${m.node}, PostgreSQL ${m.postgres}. ` +
      `Everything on loopback on one machine: load generator (autocannon), app instance(s), standalone Google emulator, PostgreSQL. ` +
      `Run time ${results.durationSec ?? 'n/a'} s. "Provider latency" is the emulator's latency fault on its token, userinfo and tokeninfo endpoints.` +
      (results.revision
        ? ` Commit ${results.revision.commit.slice(0, 7)}${results.revision.uncommittedAppChanges ? ' with uncommitted changes in src/ or migrations/' : ''}.`
        : ''),
  );

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
        [
          `Start-up to ready, ${num(manyUsers.users)} users stored`,
          `${footprint.readyMsWithManyUsers} ms`,
        ],
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
          `Resident memory under the ${num(manyUsers.users)}-user load (max)`,
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
  lines.push('');
  return `${lines.join('\n')}\n`;
}
