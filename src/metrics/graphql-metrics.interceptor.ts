import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { GqlExecutionContext, type GqlContextType } from '@nestjs/graphql';
import { tap, type Observable } from 'rxjs';
import { AppError, AppErrorCode } from '../common/app-error.js';
import { MetricsService } from './metrics.service.js';

/** Counts GraphQL root fields by name and outcome. */
@Injectable()
export class GraphqlMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType<GqlContextType>() !== 'graphql') return next.handle();
    const info = GqlExecutionContext.create(context).getInfo<{
      parentType: { name: string };
      fieldName: string;
    }>();
    if (!['Query', 'Mutation'].includes(info.parentType.name)) return next.handle();
    const count = (outcome: string) =>
      this.metrics.graphqlOperations.inc({ operation: info.fieldName, outcome });
    return next.handle().pipe(
      tap({
        next: () => count('ok'),
        error: (error: unknown) =>
          count(error instanceof AppError ? error.code : AppErrorCode.Internal),
      }),
    );
  }
}
