import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { exportPKCS8, generateKeyPair } from 'jose';
import { EVENTS_TO_REQUEST } from '../src/risc/receiver-registration.js';
import { startTestEmulator } from './support/emulator-admin.js';

const SERVICE_ACCOUNT = 'risc-admin@tokenkeep-test.iam.gserviceaccount.com';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run risc:register` (its compiled script) against a standalone emulator's RISC API mirror. */
describe('npm run risc:register', () => {
  let emulator: StandaloneEmulator;
  let folder: string;
  let keyFile: string;

  const register = (env: Record<string, string>): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['dist/src/risc/register-receiver.main.js'],
        {
          env: {
            PATH: process.env.PATH,
            DATA_DIR: folder,
            GOOGLE_EMULATOR_URL: emulator.url,
            PUBLIC_URL: 'http://127.0.0.1:3999',
            ...env,
          },
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  const stream = async () => {
    const response = await fetch(`${emulator.url}/v1beta/stream`, {
      headers: { authorization: 'Bearer any-access-token' },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    emulator = await startTestEmulator(3600);
    folder = await mkdtemp(join(tmpdir(), 'tokenkeep-risc-'));
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    keyFile = join(folder, 'service-account.json');
    await writeFile(
      keyFile,
      JSON.stringify({
        type: 'service_account',
        client_email: SERVICE_ACCOUNT,
        private_key_id: 'k1',
        private_key: await exportPKCS8(privateKey),
      }),
    );
  });

  afterAll(async () => {
    await emulator?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('without a service account says that nothing was sent, exits 3, and sends nothing', async () => {
    const run = await register({});
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/^Nothing was sent: RISC_SERVICE_ACCOUNT_FILE is not set/);
    expect((await stream()).status).toBe(404);
  });

  it('with one, points the project stream at $PUBLIC_URL/risc for the events the receiver acts on', async () => {
    const run = await register({ RISC_SERVICE_ACCOUNT_FILE: keyFile });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(
      `Registered http://127.0.0.1:3999/risc with ${emulator.url}/v1beta`,
    );
    expect(await stream()).toEqual({
      status: 200,
      body: {
        delivery: {
          delivery_method: 'https://schemas.openid.net/secevent/risc/delivery-method/push',
          url: 'http://127.0.0.1:3999/risc',
        },
        events_requested: EVENTS_TO_REQUEST,
      },
    });
  });

  it("fails with Google's reason when Google refuses the receiver (plain HTTP)", async () => {
    const run = await register({
      RISC_SERVICE_ACCOUNT_FILE: keyFile,
      PUBLIC_URL: 'http://tokens.example.com',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('403: The delivery endpoint must be an HTTPS URL.');
  });
});
