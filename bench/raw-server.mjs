// The raw baselines of the CPU-cost case: what the same answers cost with nothing but node:http.
//   RAW_KIND=json   reads the request body and answers {"data":{"me":{"email":...}}}
//   RAW_KIND=proxy  reads the request body, GETs the emulator's /v1/userinfo with RAW_ACCESS_TOKEN
//                   through an undici Pool (keep-alive), and answers {"data":{"profile":{email,name}}}
// Listens on a free loopback port and prints `raw <kind> listening on <url>`.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const kind = process.env.RAW_KIND;
const email = process.env.RAW_EMAIL ?? '';

/**
 * @param {import('node:http').ServerResponse} response
 * @param {number} status
 * @param {unknown} payload
 */
function answer(response, status, payload) {
  const body = JSON.stringify(payload);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

/** @returns {(response: import('node:http').ServerResponse) => void | Promise<void>} */
function handlerFor() {
  if (kind === 'json') return (response) => answer(response, 200, { data: { me: { email } } });
  if (kind !== 'proxy') throw new Error(`RAW_KIND must be json or proxy, not ${kind}`);
  const upstream = new URL(process.env.RAW_EMULATOR_URL ?? '');
  // The app's Google client keeps up to 64 keep-alive connections, 30 s each.
  const pool = new Pool(upstream.origin, { connections: 64, keepAliveTimeout: 30_000 });
  const headers = {
    accept: 'application/json',
    authorization: `Bearer ${process.env.RAW_ACCESS_TOKEN}`,
  };
  return async (response) => {
    try {
      const upstreamAnswer = await pool.request({ path: '/v1/userinfo', method: 'GET', headers });
      const profile = /** @type {{ email?: string, name?: string }} */ (
        await upstreamAnswer.body.json()
      );
      if (upstreamAnswer.statusCode !== 200)
        throw new Error(`userinfo ${upstreamAnswer.statusCode}`);
      answer(response, 200, { data: { profile: { email: profile.email, name: profile.name } } });
    } catch (error) {
      answer(response, 502, { errors: [{ message: /** @type {Error} */ (error).message }] });
    }
  };
}

const handle = handlerFor();
const server = createServer((request, response) => {
  request.resume();
  request.once('end', () => void handle(response));
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  process.stdout.write(`raw ${kind} listening on http://127.0.0.1:${address.port}\n`);
});
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
