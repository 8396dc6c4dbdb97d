import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NoSchemaIntrospectionCustomRule, type ValidationRule } from 'graphql';
import mercurius from 'mercurius';
import { AppErrorCode } from '../common/app-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { GraphqlErrorFilter } from './graphql-error.filter.js';
import { PlaygroundController } from './playground.controller.js';
import { documentGate } from './document-gate.js';
import { maxTokensFor, type QueryLimits } from './query-limits.js';

export const GRAPHQL_PATH = '/graphql';
const DOCUMENT_CACHE_SIZE = 128;

/** Headers a browser cannot send cross-site without a CORS preflight. */
export const PREFLIGHT_HEADERS = [
  'x-requested-with',
  'apollo-require-preflight',
  'mercurius-require-preflight',
];

function queryLimits(config: AppConfig): QueryLimits {
  const { maxDepth, maxAliases, maxFields } = config.graphqlLimits;
  return {
    maxDepth,
    maxAliases,
    maxFields,
    maxTokens: maxTokensFor(maxFields),
    introspection: !config.isProduction,
  };
}

/** Production does not describe its schema to strangers. */
function validationRules(config: AppConfig): ValidationRule[] {
  return config.isProduction ? [NoSchemaIntrospectionCustomRule] : [];
}

type FormattedErrors = {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: unknown } }[];
};

/**
 * An answer refused only by the rate limit is a 429 (the guard set Retry-After). In production,
 * "Did you mean …?" hints would describe the schema that introspection hides.
 */
function errorFormatter(config: AppConfig): MercuriusDriverConfig['errorFormatter'] {
  return (execution, context) => {
    const formatted = mercurius.defaultErrorFormatter(execution, context);
    const response = formatted.response as FormattedErrors;
    const errors = response.errors ?? [];
    if (
      response.data == null &&
      errors.length > 0 &&
      errors.every((error) => error.extensions?.code === AppErrorCode.RateLimited)
    )
      formatted.statusCode = 429;
    if (config.isProduction)
      for (const error of errors)
        error.message = error.message.replace(/\s*Did you mean .*\?$/, '');
    return formatted;
  };
}

/** GraphQL at /graphql, code-first, served by Mercurius with graphql-jit. */
@Module({
  imports: [
    GraphQLModule.forRootAsync<MercuriusDriverConfig>({
      driver: MercuriusDriver,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const limits = queryLimits(config);
        return {
          path: GRAPHQL_PATH,
          autoSchemaFile: true,
          sortSchema: true,
          // Mercurius's GraphiQL loads from a CDN; the offline playground is PlaygroundController.
          graphiql: false,
          jit: 1,
          // Mercurius keeps up to twice this many parsed documents, and as many refused ones with
          // their errors (up to 0.4 MB each), whoever sent them; our clients send a few dozen.
          cache: DOCUMENT_CACHE_SIZE,
          allowBatchedQueries: false,
          // Depth, aliases, fields and tokens are checked before Mercurius parses (document-gate.ts).
          additionalRouteOptions: { preHandler: documentGate(limits) },
          graphql: { parseOptions: { maxTokens: limits.maxTokens } },
          validationRules: validationRules(config),
          // A simple request (form or text/plain POST, GET without a custom header) is refused.
          csrfPrevention: { requiredHeaders: PREFLIGHT_HEADERS },
          errorFormatter: errorFormatter(config),
          context: (req: FastifyRequest, reply: FastifyReply) => ({ req, reply }),
        };
      },
    }),
  ],
  controllers: [PlaygroundController],
  providers: [{ provide: APP_FILTER, useClass: GraphqlErrorFilter }],
})
export class GraphqlApiModule {}
