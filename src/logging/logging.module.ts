import { Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { baseLogOptions, logDestination, logFormatOf } from './log-format.js';
import { redactUrl } from './redaction.js';

/**
 * Logs through pino, one line per request with Fastify's request id (request-log.ts): JSON,
 * or readable lines in development at a terminal (log-format.ts). Secrets are removed at the
 * logger: see redaction.ts.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const options = {
          ...baseLogOptions(config),
          // The request line is written by request-log.ts, without pino-http's per-line redaction.
          autoLogging: false,
          serializers: {
            req: (request: { id: unknown; method: string; url: string }) => ({
              id: request.id,
              method: request.method,
              url: redactUrl(request.url),
            }),
            res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
          },
        };
        const destination = logDestination(logFormatOf(config));
        return {
          // Every path, as one middleware path (nestjs-pino's default '{/*splat}' matched only / with
          // Nest 12 on Fastify; '/' and '*splat' mounted each middleware twice on middie). Not
          // /health/live: Fastify answers it without Nest, so nothing logs in its context.
          forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
          exclude: [{ path: 'health/live', method: RequestMethod.ALL }],
          pinoHttp: destination ? [options, destination] : options,
        };
      },
    }),
  ],
})
export class LoggingModule {}
