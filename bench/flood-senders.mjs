// The flood of bench/flood-p50.mjs, in a worker thread: four unauthenticated senders, each on its
// own loopback address (127.0.0.2-5), each posting the next document as soon as the last is
// answered. Messages in: 'start', 'pause' (answers with the HTTP statuses seen), 'exit'.
import { parentPort, workerData } from 'node:worker_threads';
import { Client } from 'undici';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- Node types workerData as any
const options = /** @type {{ url: string, kind: string }} */ (/** @type {unknown} */ (workerData));

const LARGE = `{${'me{email} me{id} '.repeat(3760)}}`;
// Distinct documents (a trailing comment), as an attacker's would be, and more of them than
// Mercurius's caches hold, so cycling through them never hits a cache. Built once.
const BODIES = Array.from({ length: 1500 }, (_, i) => {
  const query = options.kind === 'small' ? `{ __typename } #${i}` : `${LARGE} #${i}`;
  return Buffer.from(JSON.stringify({ query }));
});

const clients = [2, 3, 4, 5].map(
  (last) => new Client(options.url, { localAddress: `127.0.0.${last}` }),
);
let sent = 0;
let running = false;
/** @type {Promise<void>[]} */
let loops = [];
/** @type {Record<string, number>} */
let statuses = {};

/** @param {Client} client */
async function send(client) {
  while (running) {
    let outcome;
    try {
      const response = await client.request({
        path: '/graphql',
        method: 'POST',
        body: BODIES[sent++ % BODIES.length],
        headers: { 'content-type': 'application/json' },
      });
      await response.body.dump();
      outcome = response.statusCode;
    } catch (error) {
      outcome = /** @type {{ code?: string }} */ (error).code ?? 'error';
    }
    statuses[outcome] = (statuses[outcome] ?? 0) + 1;
  }
}

port.on('message', (message) => void onMessage(message));

/** @param {unknown} message */
async function onMessage(message) {
  if (message === 'start') {
    running = true;
    loops = clients.map(send);
  } else if (message === 'pause') {
    running = false;
    await Promise.all(loops);
    port.postMessage(statuses);
    statuses = {};
  } else if (message === 'exit') {
    await Promise.all(clients.map((client) => client.close()));
    port.close();
  }
}
port.postMessage('ready');
