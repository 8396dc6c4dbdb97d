// The naive client of the refresh storm: what the seed example (requests_oauthlib's auto-refresh)
// and most hand-written code do. It holds a refresh token and a cached access token; each request
// refreshes at Google's token endpoint whenever the cached token is expired (no dedupe, no lock),
// stores what it got, then calls userinfo with it.
//
// Run by bench/run.mjs through fork() (config in, result out over IPC), or by hand:
//   NAIVE_REFRESH_TOKEN=1//... node bench/naive-client.mjs --emulator http://127.0.0.1:4000 --count 100
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const CLIENT = {
  clientId: '000000000000-tokenkeep.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-tokenkeep-local-emulator',
};

/**
 * What the runner sends: where, with which refresh token, how many requests at once.
 * @typedef {{ emulatorUrl: string, refreshToken: string, count: number,
 *   client?: { clientId: string, clientSecret: string } }} NaiveConfig
 */
/**
 * @typedef {{ requests: number, failed: number, tokenCalls: number, p50Ms: number, p99Ms: number,
 *   maxMs: number, firstFailure?: string }} NaiveResult
 */
/** What this process answers over IPC. @typedef {{ result?: NaiveResult, error?: string }} NaiveAnswer */

/**
 * `count` requests at once, all starting with an expired cached token.
 * @param {NaiveConfig} config
 * @returns {Promise<NaiveResult>}
 */
export async function naiveStorm({ emulatorUrl, refreshToken, count, client = CLIENT }) {
  /** @type {{ accessToken: string | null, refreshToken: string, expiresAt: number }} */
  const cache = { accessToken: null, refreshToken, expiresAt: Date.now() - 1000 };
  let tokenCalls = 0;
  /** @type {string[]} */
  const failures = [];

  async function refresh() {
    tokenCalls += 1;
    const response = await fetch(`${emulatorUrl}/o/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: cache.refreshToken,
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }),
    });
    const body =
      /** @type {{ access_token: string, expires_in: number, refresh_token?: string }} */ (
        await response.json()
      );
    if (response.status !== 200)
      throw new Error(`token ${response.status} ${JSON.stringify(body)}`);
    cache.accessToken = body.access_token;
    cache.expiresAt = Date.now() + body.expires_in * 1000;
    if (body.refresh_token) cache.refreshToken = body.refresh_token;
  }

  async function oneRequest() {
    const startedAt = performance.now();
    try {
      if (cache.expiresAt <= Date.now()) await refresh();
      const response = await fetch(`${emulatorUrl}/oauth2/v1/userinfo`, {
        headers: { authorization: `Bearer ${cache.accessToken}` },
      });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`userinfo ${response.status} ${body}`);
      return { ok: true, ms: performance.now() - startedAt };
    } catch (error) {
      failures.push(/** @type {Error} */ (error).message);
      return { ok: false, ms: performance.now() - startedAt };
    }
  }

  // Warm up this process's HTTP client first, so the storm does not measure its first use.
  for (let i = 0; i < 20; i++)
    await (await fetch(`${emulatorUrl}/.well-known/openid-configuration`)).text();
  const outcomes = await Promise.all(Array.from({ length: count }, oneRequest));
  const latencies = outcomes.map((outcome) => outcome.ms).sort((a, b) => a - b);
  const at = (/** @type {number} */ q) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]);
  return {
    requests: count,
    failed: outcomes.filter((outcome) => !outcome.ok).length,
    tokenCalls,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: Math.round(latencies.at(-1) ?? 0),
    ...(failures.length > 0 ? { firstFailure: failures[0].slice(0, 200) } : {}),
  };
}

const send = process.send?.bind(process);
if (send) {
  /** @param {NaiveAnswer} answer @param {number} code */
  const answerAndExit = (answer, code) => send(answer, undefined, {}, () => process.exit(code));
  process.once('message', (config) => {
    naiveStorm(/** @type {NaiveConfig} */ (config)).then(
      (result) => answerAndExit({ result }, 0),
      (/** @type {Error} */ error) => answerAndExit({ error: error.message }, 1),
    );
  });
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { emulator: { type: 'string' }, count: { type: 'string', default: '100' } },
  });
  if (!values.emulator || !process.env.NAIVE_REFRESH_TOKEN) {
    console.error(
      'usage: NAIVE_REFRESH_TOKEN=... node bench/naive-client.mjs --emulator URL [--count N]',
    );
    process.exit(2);
  }
  console.log(
    JSON.stringify(
      await naiveStorm({
        emulatorUrl: values.emulator,
        refreshToken: process.env.NAIVE_REFRESH_TOKEN,
        count: Number(values.count),
      }),
    ),
  );
}
