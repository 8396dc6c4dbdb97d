// What the test suite needs from the machine, found or started before any test runs (Jest's
// globalSetup): PostgreSQL, Redis and Chromium. Each comes from its TEST_* / CHROMIUM_PATH
// variable when set, else from this machine's usual place, else it is started or installed here,
// else the run stops at once with one line saying what to do. Whatever this starts, stop() stops.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort, startEmbeddedPostgres } from './embedded-postgres.mjs';

const say = (line) => process.stderr.write(`# ${line}\n`);

export class MissingTestServiceError extends Error {}

/** Finds or starts every service; returns the variables the tests read and a stop(). */
export async function provideTestServices() {
  const stops = [];
  try {
    const postgres = await providePostgres();
    if (postgres.stop) stops.push(postgres.stop);
    const redis = await provideRedis();
    if (redis.stop) stops.push(redis.stop);
    const chromiumPath = provideChromium();
    return {
      env: {
        TEST_DATABASE_URL: postgres.url,
        TEST_REDIS_URL: redis.url,
        CHROMIUM_PATH: chromiumPath,
      },
      stop: () => stopAll(stops),
    };
  } catch (error) {
    await stopAll(stops);
    throw error;
  }
}

async function stopAll(stops) {
  for (const stop of stops.reverse()) await stop().catch((error) => say(`stop failed: ${error}`));
}

async function providePostgres() {
  if (process.env.TEST_DATABASE_URL) return { url: process.env.TEST_DATABASE_URL };
  const local = 'postgres://postgres@127.0.0.1:5432/test';
  if (await postgresAnswers(local)) {
    say('PostgreSQL for tests: this machine\'s server on 127.0.0.1:5432 (database "test")');
    return { url: local };
  }
  const embedded = await startEmbeddedPostgres();
  say(`PostgreSQL for tests: started embedded-postgres on 127.0.0.1:${embedded.port}`);
  return { url: embedded.url, stop: embedded.stop };
}

async function postgresAnswers(url) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function provideRedis() {
  if (process.env.TEST_REDIS_URL) return { url: process.env.TEST_REDIS_URL };
  if (await redisAnswers(6379)) {
    say("Redis for tests: this machine's server on 127.0.0.1:6379");
    return { url: 'redis://127.0.0.1:6379' };
  }
  if (!commandExists('redis-server')) {
    installDebianPackage(
      'redis-server',
      'redis-server',
      'set TEST_REDIS_URL or install redis-server',
    );
  }
  const port = await freePort();
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  for (let attempt = 0; attempt < 100 && !(await redisAnswers(port)); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!(await redisAnswers(port))) {
    server.kill('SIGKILL');
    throw new MissingTestServiceError(
      `redis-server did not answer on 127.0.0.1:${port} within 5 s`,
    );
  }
  say(`Redis for tests: started redis-server on 127.0.0.1:${port}`);
  const exited = new Promise((resolve) => server.once('exit', resolve));
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      server.kill('SIGTERM');
      await exited;
    },
  };
}

function redisAnswers(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

function provideChromium() {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (isExecutable(path)) return path;
  if (process.env.CHROMIUM_PATH) {
    throw new MissingTestServiceError(`CHROMIUM_PATH=${path} is not an executable file`);
  }
  installDebianPackage('chromium', 'Chromium', 'apt-get install chromium, or set CHROMIUM_PATH');
  if (!isExecutable(path))
    throw new MissingTestServiceError(`installed chromium, but ${path} is missing`);
  return path;
}

/** As root on Debian, installs a package from Debian's archive; elsewhere stops with one line. */
function installDebianPackage(name, what, howToFix) {
  const canInstall = process.getuid?.() === 0 && commandExists('apt-get');
  if (!canInstall) {
    throw new MissingTestServiceError(
      `${what} is needed by the tests and is not installed: ${howToFix} (as root on Debian, npm test installs it)`,
    );
  }
  say(`${what} is not installed: installing Debian's ${name} with apt-get (once, about a minute)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', name],
  ]) {
    const result = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) {
      throw new MissingTestServiceError(
        `apt-get ${args.join(' ')} failed (exit ${result.status}): ${howToFix}`,
      );
    }
  }
}

function commandExists(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return existsSync(path);
  } catch {
    return false;
  }
}
