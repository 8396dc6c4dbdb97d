/** Error codes of a database that cannot be reached right now (network, PostgreSQL shutdown or connection states). */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/** SQLite's codes (extended ones included) for a file it cannot use right now: locked, read-only, I/O, full. */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|READONLY|IOERR|CANTOPEN|FULL)(_|$)/;

const UNAVAILABLE_MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|connection error|database is locked|not connected/i;

/** True when an error (or its cause) says the database is out of reach: retryable, not a bug. */
export function isDatabaseUnavailable(error: unknown): boolean {
  // typeof, not instanceof Object: errors made by Node itself may come from another realm (vm, Jest).
  for (let current = error, depth = 0; isObject(current) && depth < 4; depth++) {
    const { code, message, driverError, cause } = current as {
      code?: unknown;
      message?: unknown;
      driverError?: unknown;
      cause?: unknown;
    };
    if (
      typeof code === 'string' &&
      (UNAVAILABLE_CODES.has(code) || SQLITE_UNAVAILABLE.test(code))
    ) {
      return true;
    }
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    current = driverError ?? cause;
  }
  return false;
}

function isObject(value: unknown): value is object {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}
