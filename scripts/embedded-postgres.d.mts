// Types of scripts/embedded-postgres.mjs, for the type-checked JavaScript that imports it (bench/).

/** A free TCP port on loopback. */
export function freePort(): Promise<number>;

/** Starts a throw-away server with a `test` database; `stop()` removes it and its files. */
export function startEmbeddedPostgres(): Promise<{
  url: string;
  port: number;
  stop: () => Promise<void>;
}>;
