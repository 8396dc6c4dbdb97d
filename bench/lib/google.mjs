// The emulator's admin API, and grants obtained straight from its authorization, consent and
// token endpoints (no app involved), for seeding many users fast.
import { Agent, request } from 'undici';

/** @typedef {import('@tokenkeep/google-emulator').EmulatorStatsSnapshot} EmulatorStats */
/** @typedef {import('@tokenkeep/google-emulator').FaultSpec} FaultSpec */

export const APP_CLIENT = {
  // The client the app uses when no Google credentials are set (src/config/app-config.ts).
  clientId: '000000000000-tokenkeep.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-tokenkeep-local-emulator',
};

const agent = new Agent({ connections: 32, keepAliveTimeout: 10_000 });

/**
 * @param {string} url
 * @param {{ method?: string, headers?: Record<string, string>, body?: string }} [request]
 */
async function send(url, { method = 'GET', headers = {}, body } = {}) {
  const response = await request(url, { dispatcher: agent, method, headers, body });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text };
}

/**
 * @param {string} url
 * @param {string} method
 * @param {unknown} [payload]
 * @returns {Promise<unknown>}
 */
async function json(url, method, payload) {
  const answer = await send(url, {
    method,
    headers: payload === undefined ? {} : { 'content-type': 'application/json' },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  if (answer.status >= 300) throw new Error(`${method} ${url}: ${answer.status} ${answer.text}`);
  return answer.text ? parseJson(answer.text) : null;
}

/**
 * @param {string} text
 * @returns {unknown}
 */
function parseJson(text) {
  return JSON.parse(text);
}

/**
 * The emulator's admin API at `base`, typed by the emulator's own exports.
 * @param {string} base
 */
export function emulatorAdmin(base) {
  const admin = (/** @type {string} */ path) => `${base}/__emulator/${path}`;
  return {
    stats: async () => /** @type {EmulatorStats} */ (await json(admin('stats'), 'GET')),
    resetStats: () => json(admin('stats'), 'DELETE'),
    /** @param {FaultSpec} spec */
    addFault: (spec) => json(admin('faults'), 'POST', spec),
    clearFaults: () => json(admin('faults'), 'DELETE'),
    /** @param {{ sub: string, email: string, name: string }} user */
    addUser: async (user) =>
      /** @type {{ sub: string }} */ (await json(admin('users'), 'POST', user)),
    /** @param {Record<string, unknown>} client */
    addClient: (client) => json(admin('clients'), 'POST', client),
    /** @param {number} seconds */
    advanceClock: (seconds) => json(admin('clock'), 'POST', { advanceSeconds: seconds }),
    /**
     * Adds `latencyMs` before every answer of the endpoints the app and the naive client call.
     * @param {number} latencyMs
     */
    setLatency: async (latencyMs) => {
      await json(admin('faults'), 'DELETE');
      if (latencyMs > 0) {
        for (const endpoint of ['token', 'userinfo', 'tokeninfo'])
          await json(admin('faults'), 'POST', { endpoint, latencyMs });
      }
    },
  };
}

/**
 * Refresh grants that reached the emulator, however they were answered.
 * @param {EmulatorStats} stats
 */
export function tokenCalls(stats) {
  const injected = Object.entries(stats.errors)
    .filter(([code]) => /^\d+$/.test(code) || code === 'timeout')
    .reduce((sum, [, count]) => sum + count, 0);
  return stats.tokenGrants.refresh_token + injected;
}

/**
 * One offline grant of `sub` to the app's client, obtained as a person would (consent page,
 * Allow) but without the app: authorization request, consent form, code exchange. Every call
 * gives a new refresh token (prompt=consent).
 * @param {string} base
 * @param {{ sub: string, redirectUri: string, scope?: string }} grant
 */
export async function grantDirectly(base, { sub, redirectUri, scope = 'openid email profile' }) {
  const query = new URLSearchParams({
    client_id: APP_CLIENT.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope,
    access_type: 'offline',
    prompt: 'consent',
    login_hint: sub,
    state: 'bench',
  });
  const page = await send(`${base}/o/oauth2/v2/auth?${query.toString()}`);
  const requestId = /name="request_id"\s+value="([^"]+)"/.exec(page.text)?.[1];
  if (page.status !== 200 || !requestId)
    throw new Error(`consent page: ${page.status} ${page.text.slice(0, 200)}`);
  const consent = await send(`${base}/signin/oauth/consent`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request_id: requestId, sub, decision: 'allow' }).toString(),
  });
  const location = consent.headers.location;
  const code = location ? new URL(location).searchParams.get('code') : null;
  if (consent.status !== 302 || !code)
    throw new Error(`consent: ${consent.status} ${consent.text}`);
  const token = await send(`${base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: APP_CLIENT.clientId,
      client_secret: APP_CLIENT.clientSecret,
    }).toString(),
  });
  if (token.status !== 200) throw new Error(`code exchange: ${token.status} ${token.text}`);
  const body =
    /** @type {{ access_token: string, refresh_token?: string, scope: string, expires_in: number }} */ (
      parseJson(token.text)
    );
  const { refresh_token: refreshToken } = body;
  if (!refreshToken) throw new Error('no refresh token in the code exchange');
  return { ...body, refresh_token: refreshToken };
}

export async function closeGoogleAgent() {
  await agent.close();
}
