// Self time of one or more V8 CPU profiles (node --cpu-prof, e.g. from BENCH_CPU_PROF=<dir>),
// grouped by package and by function, as Markdown tables:
//   node bench/cpu-profile-summary.mjs <file.cpuprofile>... [--top 15] [--windows <run.json>]
//     [--ops me,profile]
// Self time is where the CPU was when sampled (not counting what a function called). Idle time is
// left out of the shares. The app's own code (dist/) counts as "tokenkeep: src/<folder>".
// --windows keeps only the samples taken while the CPU case of that run (bench/run.mjs --only
// cpu-cost) loaded an app operation, so start-up and sign-in are left out; --ops keeps only the
// windows of those operations.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

/**
 * The parts of a .cpuprofile read here (timestamps in monotonic µs).
 * @typedef {{ functionName: string, url: string, lineNumber: number }} CallFrame
 * @typedef {{ id: number, callFrame: CallFrame, children?: number[] }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], startTime: number, samples: number[], timeDeltas: number[] }} CpuProfile
 * @typedef {{ name: string, fromUs: number, toUs: number }} Window
 */

const NATIVE = 'native (V8 builtins, C++ bindings)';
const NODE_CORE = 'node (core)';
/** V8's pseudo-frames: not code of any package (null: idle). */
const PSEUDO = new Map([
  ['(garbage collector)', 'V8: garbage collector'],
  ['(program)', 'V8: (program), native code not attributed to a JS function'],
  ['(idle)', null],
  ['(root)', null],
]);

/**
 * Which package a frame's code belongs to.
 * @param {CallFrame} frame
 * @returns {string | null} null for idle time
 */
export function packageOf({ functionName, url }) {
  const pseudo = PSEUDO.get(functionName);
  if (pseudo !== undefined) return pseudo;
  if (url === '') return NATIVE;
  if (url.startsWith('node:')) return NODE_CORE;
  const path = url.replace(/^file:\/\//, '');
  const inModules = path.lastIndexOf('/node_modules/');
  if (inModules >= 0) {
    const [scope, name] = path.slice(inModules + '/node_modules/'.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  if (path.includes('/packages/google-emulator/')) return '@tokenkeep/google-emulator';
  const app = /\/dist\/(src|migrations)\/([^/]+)/.exec(path);
  if (app) return `tokenkeep: ${app[1]}/${app[2].replace(/\.js$/, '')}`;
  return path;
}

/** @param {string} file */
async function readProfile(file) {
  /** @type {unknown} */
  const parsed = JSON.parse(await readFile(file, 'utf8'));
  return /** @type {CpuProfile} */ (parsed);
}

/**
 * @param {string} file a bench/run.mjs JSON with cases.cpuCost.loadWindows
 * @param {string[] | null} ops only the windows of these operations
 */
async function readWindows(file, ops) {
  /** @type {unknown} */
  const parsed = JSON.parse(await readFile(file, 'utf8'));
  const windows = /** @type {{ cases?: { cpuCost?: { loadWindows?: Window[] } } }} */ (parsed).cases
    ?.cpuCost?.loadWindows;
  const kept = windows?.filter((window) => !ops || ops.includes(window.name)) ?? [];
  if (kept.length === 0)
    throw new Error(
      `${file} has no cases.cpuCost.loadWindows of ${ops?.join(', ') ?? 'any operation'}`,
    );
  return kept;
}

/**
 * Self time in µs per sample, each sample charged the time until the next one (as Chrome DevTools
 * does), the last one the mean interval; only samples inside `windows` when given.
 * @param {CpuProfile} profile
 * @param {Window[] | null} windows
 * @returns {Generator<[nodeId: number, us: number]>}
 */
function* sampledTimes(profile, windows) {
  const { samples, timeDeltas } = profile;
  const mean = timeDeltas.reduce((a, b) => a + b, 0) / Math.max(1, timeDeltas.length);
  let at = profile.startTime;
  for (let index = 0; index < samples.length; index++) {
    at += timeDeltas[index];
    if (windows && !windows.some((w) => at >= w.fromUs && at <= w.toUs)) continue;
    yield [samples[index], Math.max(0, timeDeltas[index + 1] ?? mean)];
  }
}

/**
 * The package a sample is charged to when node core and native frames count for the package
 * that called them: the nearest ancestor frame of a package (itself if it is one).
 * @param {ProfileNode} node
 * @param {string} own the package of its own frame
 * @param {Map<number, ProfileNode>} parents
 */
function callingPackage(node, own, parents) {
  if (own !== NATIVE && own !== NODE_CORE) return own;
  for (let up = parents.get(node.id); up; up = parents.get(up.id)) {
    const pkg = packageOf(up.callFrame);
    if (pkg !== null && pkg !== NATIVE && pkg !== NODE_CORE) return pkg;
  }
  return own;
}

/**
 * @param {Map<string, number>} totals
 * @param {string} key
 * @param {number} us
 */
function add(totals, key, us) {
  totals.set(key, (totals.get(key) ?? 0) + us);
}

/**
 * Self time by package (own frames, and with core and native frames charged to their caller) and
 * by function over every profile given.
 * @param {CpuProfile[]} profiles
 * @param {Window[] | null} [windows]
 */
export function summarize(profiles, windows = null) {
  /** @type {Map<string, number>} */
  const packages = new Map();
  /** @type {Map<string, number>} */
  const callers = new Map();
  /** @type {Map<string, number>} */
  const functions = new Map();
  /** @type {Map<string, string>} */
  const packageOfFunction = new Map();
  let busyUs = 0;
  let idleUs = 0;
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    /** @type {Map<number, ProfileNode>} */
    const parents = new Map();
    for (const node of profile.nodes)
      for (const child of node.children ?? []) parents.set(child, node);
    for (const [id, us] of sampledTimes(profile, windows)) {
      const node = nodes.get(id);
      if (!node) continue;
      const pkg = packageOf(node.callFrame);
      if (pkg === null) {
        idleUs += us;
        continue;
      }
      busyUs += us;
      add(packages, pkg, us);
      add(callers, callingPackage(node, pkg, parents), us);
      const { functionName, url, lineNumber } = node.callFrame;
      const where = url
        ? ` ${url.replace(/^.*\/(node_modules|dist)\//, '')}:${lineNumber + 1}`
        : '';
      const key = `${functionName || '(anonymous)'}${where}`;
      add(functions, key, us);
      packageOfFunction.set(key, pkg);
    }
  }
  const ranked = (/** @type {Map<string, number>} */ totals) =>
    [...totals].map(([name, us]) => ({ name, us })).sort((a, b) => b.us - a.us);
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    packages: ranked(packages),
    callers: ranked(callers),
    functions: ranked(functions).map((entry) => ({
      ...entry,
      pkg: packageOfFunction.get(entry.name) ?? '',
    })),
  };
}

/**
 * @param {ReturnType<typeof summarize>} summary
 * @param {number} top
 */
export function renderSummary(summary, top) {
  const ms = (/** @type {number} */ us) => `${(us / 1000).toFixed(0)} ms`;
  const share = (/** @type {number} */ us) =>
    `${((us / 1000 / summary.busyMs) * 100).toFixed(1)} %`;
  const packageTable = (
    /** @type {string} */ title,
    /** @type {{ name: string, us: number }[]} */ rows,
  ) => [
    `| ${title} | Self time | Share of busy time |`,
    '| --- | --- | --- |',
    ...rows.slice(0, top).map(({ name, us }) => `| ${name} | ${ms(us)} | ${share(us)} |`),
  ];
  const lines = [
    `Busy (not idle) time sampled: ${(summary.busyMs / 1000).toFixed(2)} s; idle: ${(summary.idleMs / 1000).toFixed(2)} s.`,
    '',
    ...packageTable('Package (its own frames)', summary.packages),
    '',
    ...packageTable(
      'Package (node core and native frames charged to the package that called them)',
      summary.callers,
    ),
    '',
    '| Function | Package | Self time | Share of busy time |',
    '| --- | --- | --- | --- |',
    ...summary.functions
      .slice(0, top)
      .map(
        ({ name, pkg, us }) =>
          `| \`${name.replaceAll('|', '\\|')}\` | ${pkg} | ${ms(us)} | ${share(us)} |`,
      ),
  ];
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    options: {
      top: { type: 'string', default: '15' },
      windows: { type: 'string' },
      ops: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    process.stderr.write(
      'usage: node bench/cpu-profile-summary.mjs <file.cpuprofile>... [--top 15] [--windows <run.json> [--ops me,profile]]\n',
    );
    process.exit(2);
  }
  const profiles = await Promise.all(positionals.map(readProfile));
  const ops = values.ops?.split(',') ?? null;
  const windows = values.windows ? await readWindows(values.windows, ops) : null;
  process.stdout.write(renderSummary(summarize(profiles, windows), Number(values.top)));
}
