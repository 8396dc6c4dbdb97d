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
 * `count` requests at once, all starting with an expired cached token.
 * @returns {Promise<{ requests: number, failed: number, tokenCalls: number, p50Ms: number, p99Ms: number, maxMs: number, firstFailure?: string }>}
 */
export async function naiveStorm({ emulatorUrl, refreshToken, count, client = CLIENT }) {
  const cache = { accessToken: null, refreshToken, expiresAt: Date.now() - 1000 };
  let tokenCalls = 0;
  let firstFailure;

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
    const body = await response.json();
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
      firstFailure ??= error.message;
      return { ok: false, ms: performance.now() - startedAt };
    }
  }

  // Warm up this process's HTTP client first, so the storm does not measure its first use.
  for (let i = 0; i < 20; i++)
    await (await fetch(`${emulatorUrl}/.well-known/openid-configuration`)).text();
  const outcomes = await Promise.all(Array.from({ length: count }, oneRequest));
  const latencies = outcomes.map((outcome) => outcome.ms).sort((a, b) => a - b);
  const at = (q) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]);
  return {
    requests: count,
    failed: outcomes.filter((outcome) => !outcome.ok).length,
    tokenCalls,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: Math.round(latencies.at(-1)),
    ...(firstFailure ? { firstFailure: firstFailure.slice(0, 200) } : {}),
  };
}

if (process.send) {
  process.once('message', (config) => {
    naiveStorm(config).then(
      (result) => process.send({ result }, () => process.exit(0)),
      (error) => process.send({ error: error.message }, () => process.exit(1)),
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
