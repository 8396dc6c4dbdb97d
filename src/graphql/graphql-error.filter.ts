import { randomUUID } from 'node:crypto';
import { Catch, HttpException, Logger, type ArgumentsHost } from '@nestjs/common';
import type { GqlContextType, GqlExceptionFilter } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';
import { AppError, AppErrorCode } from '../common/app-error.js';
import { HttpErrorFilter } from '../common/http-error.filter.js';
import { isDatabaseUnavailable } from '../database/database-errors.js';

/**
 * The one place errors become GraphQL errors: an AppError keeps its code as `extensions.code`;
 * anything else becomes INTERNAL with an id that is logged with the real cause.
 */
@Catch()
export class GraphqlErrorFilter extends HttpErrorFilter implements GqlExceptionFilter {
  private readonly logger = new Logger('GraphQL');

  override catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType<GqlContextType>() !== 'graphql') return super.catch(exception, host);
    if (exception instanceof GraphQLError) return exception;
    if (exception instanceof AppError) {
      return new GraphQLError(exception.message, {
        extensions: { code: exception.code, ...exception.details },
      });
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`Database unavailable: ${(exception as Error).message}`);
      return new GraphQLError('The database is unavailable; try again shortly', {
        extensions: {
          code: AppErrorCode.UpstreamUnavailable,
          retryable: true,
          upstream: 'database',
        },
      });
    }
    if (exception instanceof HttpException && exception.getStatus() === 429) {
      return new GraphQLError('Too many requests; slow down', {
        extensions: { code: AppErrorCode.RateLimited },
      });
    }
    const errorId = randomUUID();
    this.logger.error(`Internal error ${errorId}: ${describe(exception)}`);
    return new GraphQLError(`Internal error (id ${errorId})`, {
      extensions: { code: AppErrorCode.Internal, errorId },
    });
  }
}

function describe(exception: unknown): string {
  return exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
}
