import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessExit } from './app-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STANDALONE = 'packages/google-emulator/dist/standalone.js';
const STOP_WITHIN_MS = 10_000;

/** `npm run emulator` as an OS process of its own (the built standalone emulator). */
export interface EmulatorProcess {
  pid: number;
  exited: Promise<ProcessExit>;
  /** Resolves once its output contains `text`; rejects if it exits first or `withinMs` pass. */
  untilOutput(text: string, withinMs?: number): Promise<void>;
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once it has exited. */
  stop(): Promise<ProcessExit>;
}

/** Spawns the standalone emulator on `port` without waiting for it: the caller decides what to wait for. */
export function spawnEmulatorProcess(port: number): EmulatorProcess {
  if (!existsSync(join(ROOT, STANDALONE))) {
    throw new Error(`${STANDALONE} is missing under ${ROOT}: run npm run build first`);
  }
  const child = spawn(process.execPath, [STANDALONE], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', EMULATOR_HOST: '127.0.0.1', EMULATOR_PORT: String(port) },
  });
  let captured = '';
  const listeners = new Set<() => void>();
  const capture = (chunk: Buffer) => {
    captured += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', capture);
  child.stderr.on('data', capture);
  const exited = new Promise<ProcessExit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const isRunning = () => child.exitCode === null && child.signalCode === null;

  return {
    pid: child.pid ?? -1,
    exited,
    output: () => captured,
    untilOutput: (text, withinMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!captured.includes(text)) return;
          done();
          resolve();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no "${text}" within ${withinMs} ms; output:\n${captured}`));
        }, withinMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        void exited.then((exit) => {
          done();
          reject(new Error(`it exited (${JSON.stringify(exit)}) before "${text}":\n${captured}`));
        });
        listeners.add(check);
        check();
      }),
    stop: async () => {
      if (!isRunning()) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_WITHIN_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
