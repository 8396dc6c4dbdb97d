// Talking to the app as a person (sign-in through the emulator's consent page) and as an API
// client (GraphQL with a bearer session), plus its Prometheus metrics.
import { Agent, request } from 'undici';

const agent = new Agent({ connections: 16, keepAliveTimeout: 10_000 });

/** @typedef {{ status: number, text: string, location: string | undefined }} Answer */

/** A cookie jar and manual redirects: enough of a browser for the sign-in. */
class Browser {
  /** @type {Map<string, string>} */
  cookies = new Map();

  /** @param {string} url */
  async get(url) {
    return this.send(url, { method: 'GET' });
  }

  /**
   * @param {string} url
   * @param {Record<string, string>} fields
   */
  async postForm(url, fields) {
    return this.send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /**
   * @param {string} url
   * @param {{ method: 'GET' | 'POST', headers?: Record<string, string>, body?: string }} request
   * @returns {Promise<Answer>}
   */
  async send(url, { method, headers = {}, body }) {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await request(url, {
      dispatcher: agent,
      method,
      headers: { ...headers, ...(cookie ? { cookie } : {}) },
      body,
    });
    const text = await response.body.text();
    const setCookie = response.headers['set-cookie'];
    for (const header of [setCookie ?? []].flat()) {
      const [pair] = header.split(';');
      const index = pair.indexOf('=');
      const value = pair.slice(index + 1);
      if (value === '' || /max-age=0/i.test(header)) this.cookies.delete(pair.slice(0, index));
      else this.cookies.set(pair.slice(0, index).trim(), value);
    }
    const location = [response.headers.location].flat()[0];
    return {
      status: response.statusCode,
      text,
      location: location ? new URL(location, url).toString() : undefined,
    };
  }
}

/**
 * Signs `sub` in through the app at `appUrl` as a browser does and returns the session id, usable
 * as `Authorization: Bearer <id>` on any instance. With several instances behind one PUBLIC_URL,
 * the callback (addressed to PUBLIC_URL) is delivered to `appUrl`, as a balancer would.
 * @param {string} appUrl
 * @param {string} publicUrl
 * @param {string} sub
 */
export async function signIn(appUrl, publicUrl, sub) {
  const browser = new Browser();
  const start = await browser.get(`${appUrl}/auth/google`);
  if (start.status !== 302 || !start.location) throw new Error(`GET /auth/google: ${start.status}`);
  const page = await browser.get(start.location);
  const action = /<form[^>]*action="([^"]+)"/i.exec(page.text)?.[1]?.replace(/&amp;/g, '&');
  const requestId = /name="request_id"\s+value="([^"]+)"/.exec(page.text)?.[1];
  if (!action || !requestId)
    throw new Error(`consent page: ${page.status} ${page.text.slice(0, 200)}`);
  const consent = await browser.postForm(new URL(action, start.location).toString(), {
    request_id: requestId,
    sub,
    decision: 'allow',
  });
  if (consent.status !== 302 || !consent.location) throw new Error(`consent: ${consent.status}`);
  const callback = await browser.get(consent.location.replace(publicUrl, appUrl));
  if (callback.status !== 303)
    throw new Error(`callback: ${callback.status} ${callback.text.slice(0, 300)}`);
  const session =
    browser.cookies.get('tokenkeep_session') ?? browser.cookies.get('__Host-tokenkeep_session');
  if (!session) throw new Error('no session cookie after sign-in');
  return session;
}

/**
 * The `data` of a GraphQL query; throws on GraphQL errors.
 * @param {string} appUrl
 * @param {string} bearer
 * @param {string} query
 * @returns {Promise<unknown>}
 */
export async function graphql(appUrl, bearer, query) {
  const response = await request(`${appUrl}/graphql`, {
    dispatcher: agent,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query }),
  });
  const body = /** @type {{ data?: unknown, errors?: unknown[] }} */ (await response.body.json());
  if (body.errors) throw new Error(`GraphQL: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/**
 * The app's Prometheus metrics as { 'name{labels}': value }, or null when it serves none
 * (GET /metrics missing or refused).
 * @param {string} appUrl
 * @returns {Promise<Record<string, number> | null>}
 */
export async function scrapeMetrics(appUrl) {
  try {
    const response = await request(`${appUrl}/metrics`, { dispatcher: agent });
    const text = await response.body.text();
    if (response.statusCode !== 200) return null;
    /** @type {Record<string, number>} */
    const values = {};
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const match = /^(\S+?(?:\{.*\})?)\s+(\S+)(?:\s+\d+)?$/.exec(line);
      if (match) values[match[1]] = Number(match[2]);
    }
    return values;
  } catch {
    return null;
  }
}

/**
 * Sum of every series of `name` whose labels include all of `labels`.
 * @param {Record<string, number>} values
 * @param {string} name
 * @param {Record<string, string>} [labels]
 */
export function metricSum(values, name, labels = {}) {
  let sum = 0;
  for (const [key, value] of Object.entries(values)) {
    const match = /^([^{]+)(?:\{(.*)\})?$/.exec(key);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) sum += value;
  }
  return sum;
}

export async function closeAppAgent() {
  await agent.close();
}
