import { accessSync, constants, readdirSync, readlinkSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

/** How often the file is looked at between readiness probes. */
const WATCH_INTERVAL_MS = 2000;

interface FileIdentity {
  dev: number;
  ino: number;
}

/**
 * Watches the SQLite file the app has open. A file deleted or replaced under the running app is
 * fatal for its data: the app keeps writing to the unlinked file, and the next start finds an
 * empty database, every session and token gone. So the app stops serving (the health routes
 * excepted), says so loudly with where the open file can still be copied from, and stays that
 * way until restarted. A file that cannot be written only makes the app not ready, for as long
 * as it lasts. PostgreSQL has nothing to watch.
 */
@Injectable()
export class DatabaseFileWatch implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DatabaseFile');
  private readonly path: string | undefined;
  private readonly opened: FileIdentity | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lost: string | undefined;
  private lastProblem: string | undefined;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    // Injected so the file is looked at once TypeORM has opened it.
    @InjectDataSource() dataSource: DataSource,
  ) {
    const { database } = config;
    if (database.type !== 'sqlite' || database.path === ':memory:' || !dataSource.isInitialized) {
      return;
    }
    this.path = resolve(database.path);
    this.opened = identityOf(this.path);
  }

  /** Why the app must not serve (the file it has open is no longer the one on disk), or undefined. */
  get refusal(): string | undefined {
    return this.lost;
  }

  /** What is wrong with the database file now, or undefined when nothing is (or it is not SQLite). */
  check(): string | undefined {
    if (!this.path || !this.opened) return undefined;
    const problem = this.lost ?? this.look(this.path, this.opened);
    if (problem !== this.lastProblem) this.report(problem);
    this.lastProblem = problem;
    return problem;
  }

  onApplicationBootstrap(): void {
    if (!this.path) return;
    this.timer = setInterval(() => this.check(), WATCH_INTERVAL_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private look(path: string, opened: FileIdentity): string | undefined {
    const now = identityOf(path);
    if (!now || now.dev !== opened.dev || now.ino !== opened.ino) {
      this.lost = `the database file ${path} was deleted or replaced while the app was running; restart the app once it is back`;
      return this.lost;
    }
    if (!isWritable(path)) return `the database file ${path} is not writable`;
    if (!isWritable(dirname(path))) {
      return `the database folder ${dirname(path)} is not writable (SQLite makes its -wal and -shm files there)`;
    }
    return undefined;
  }

  private report(problem: string | undefined): void {
    if (problem === undefined) {
      this.logger.log('The database file is writable again; ready');
    } else if (problem === this.lost) {
      this.logger.error(
        `Refusing to serve: ${problem}. Every write since went to the removed file; ${recoveryHint(this.path!)}`,
      );
    } else {
      this.logger.error(`Not ready: ${problem}`);
    }
  }
}

function identityOf(path: string): FileIdentity | undefined {
  try {
    const { dev, ino } = statSync(path);
    return { dev, ino };
  } catch {
    return undefined;
  }
}

function isWritable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where the removed file is still reachable: this process holds it open until it stops. */
function recoveryHint(path: string): string {
  const open = openCopiesOf(path);
  if (open.length === 0) {
    return 'copy its data back before stopping this process, which still has it open';
  }
  return `its data is still open in this process (pid ${process.pid}) as ${open.join(', ')}: copy it back (e.g. cp ${open[0]} ${path}) before stopping this process`;
}

/** /proc/self/fd entries (as /proc/<pid>/fd/<n>) that point at the removed file or its WAL (Linux). */
function openCopiesOf(path: string): string[] {
  const wanted = new Set([`${path} (deleted)`, `${path}-wal (deleted)`]);
  try {
    return readdirSync('/proc/self/fd')
      .filter((fd) => {
        try {
          return wanted.has(readlinkSync(`/proc/self/fd/${fd}`));
        } catch {
          return false;
        }
      })
      .map((fd) => `/proc/${process.pid}/fd/${fd}`);
  } catch {
    return [];
  }
}
