import { createRequire } from 'node:module';
import type { DestinationStream, LoggerOptions } from 'pino';
import type { PinoPretty } from 'pino-pretty';
import type { AppConfig } from '../config/app-config.js';
import { REDACTED_PATHS } from './redaction.js';

/** `pretty`: one readable line per event, for a person at a terminal; `json`: one JSON object per line, for machines. */
export type LogFormat = 'pretty' | 'json';

/** Pretty only where a person reads the output as it comes: development, with stdout a terminal. */
export function chooseLogFormat(
  environment: AppConfig['environment'],
  stdoutIsTerminal: boolean,
): LogFormat {
  return environment === 'development' && stdoutIsTerminal ? 'pretty' : 'json';
}

/** The format for this process, from its environment and whether its stdout is a terminal. */
export function logFormatOf(config: Pick<AppConfig, 'environment'>): LogFormat {
  return chooseLogFormat(config.environment, process.stdout.isTTY === true);
}

/** What every logger of the app shares: level and the redaction of secrets. */
export function baseLogOptions(config: Pick<AppConfig, 'logLevel'>): LoggerOptions {
  return { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
}

/** Where log lines go: stdout as JSON (undefined: pino's default), or through pino-pretty. */
export function logDestination(format: LogFormat): DestinationStream | undefined {
  if (format === 'json') return undefined;
  // Loaded only for a person at a terminal: a server writing JSON never holds it in memory.
  const { PinoPretty: pretty } = createRequire(import.meta.url)('pino-pretty') as {
    PinoPretty: typeof PinoPretty;
  };
  return pretty({
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context,req,res,responseTime',
    messageFormat: (log, messageKey) => prettyMessage(log, messageKey),
  });
}

interface RequestLog {
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

/** `[Context] message`, and for a finished request `GET /path → 200 in 3 ms`. */
export function prettyMessage(log: Record<string, unknown>, messageKey: string): string {
  const context = typeof log.context === 'string' ? `[${log.context}] ` : '';
  const { req, res, responseTime } = log as RequestLog;
  if (req?.method && res?.statusCode !== undefined) {
    const took = typeof responseTime === 'number' ? ` in ${responseTime} ms` : '';
    return `${context}${req.method} ${req.url ?? ''} → ${res.statusCode}${took}`;
  }
  const message = log[messageKey];
  return `${context}${typeof message === 'string' ? message : (JSON.stringify(message) ?? '')}`;
}
