import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { EMULATOR_CLIENT, type AppConfig } from '../config/app-config.js';
import { startStandaloneEmulator, type StandaloneEmulator } from '@tokenkeep/google-emulator';
import { EmulatorUnreachableError, registerWithEmulator } from './emulator-registration.js';

/** A port nothing listens on (bound, noted, released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function googleAt(emulatorUrl: string): AppConfig['google'] {
  return {
    mode: 'external-emulator',
    ...EMULATOR_CLIENT,
    scopes: ['openid', 'email'],
    allowedScopes: ['openid', 'https://www.googleapis.com/auth/userinfo.email'],
    refreshTokenWarnAt: 90,
    emulatorUrl,
    callbackUrl: 'http://app.test/auth/google/callback',
    httpTimeoutMs: 1000,
    allowedHostedDomain: null,
    publishingStatus: 'production',
  };
}

describe('registerWithEmulator', () => {
  let emulator: StandaloneEmulator | undefined;
  let server: Server | undefined;

  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
    server?.close();
    server = undefined;
  });

  it('waits for an emulator that starts listening after the first attempt, says so once, and registers', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const waits: string[] = [];
    let startedEmulator: Promise<StandaloneEmulator> | undefined;
    const registered = registerWithEmulator(googleAt(url), {
      waitMs: 10_000,
      onWait: (line) => {
        waits.push(line);
        startedEmulator = startStandaloneEmulator({
          host: '127.0.0.1',
          port,
          publicUrl: url,
          accessTokenTtlSeconds: 60,
        });
      },
    });
    await expect(registered).resolves.toBeUndefined();
    emulator = await startedEmulator;
    expect(waits).toEqual([
      `Waiting for the Google emulator at ${url} (ECONNREFUSED); retrying for up to 10 s`,
    ]);
  });

  it('gives up after the wait with one line naming the URL, the reason and what to do', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const startedAt = Date.now();
    const failure = await registerWithEmulator(googleAt(url), { waitMs: 800 }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(EmulatorUnreachableError);
    expect((failure as Error).message).toBe(
      `The Google emulator at ${url} did not answer within 1 s (ECONNREFUSED): start it (npm run emulator) or fix GOOGLE_EMULATOR_URL`,
    );
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(800);
  });

  it('does not retry an emulator that answers and refuses the client', async () => {
    let calls = 0;
    server = createServer((_request, response) => {
      calls++;
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end('{"error":"invalid_request"}');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    await expect(registerWithEmulator(googleAt(url), { waitMs: 5000 })).rejects.toThrow(
      `The Google emulator at ${url} refused our client (HTTP 400)`,
    );
    expect(calls).toBe(1);
  });
});
