import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NoSchemaIntrospectionCustomRule, type ValidationRule } from 'graphql';
import mercurius from 'mercurius';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { GraphqlErrorFilter } from './graphql-error.filter.js';
import { PlaygroundController } from './playground.controller.js';
import { maxAliasesRule, maxFieldsRule } from './query-limits.js';

/** Headers a browser cannot send cross-site without a CORS preflight. */
export const PREFLIGHT_HEADERS = [
  'x-requested-with',
  'apollo-require-preflight',
  'mercurius-require-preflight',
];

function validationRules(config: AppConfig): ValidationRule[] {
  const { maxAliases, maxFields } = config.graphqlLimits;
  const rules = [maxAliasesRule(maxAliases), maxFieldsRule(maxFields)];
  // Production does not describe its schema to strangers.
  return config.isProduction ? [...rules, NoSchemaIntrospectionCustomRule] : rules;
}

/** In production, "Did you mean …?" hints would describe the schema that introspection hides. */
function errorFormatter(config: AppConfig): MercuriusDriverConfig['errorFormatter'] {
  return (execution, context) => {
    const formatted = mercurius.defaultErrorFormatter(execution, context);
    if (!config.isProduction) return formatted;
    const response = formatted.response as { errors?: { message: string }[] };
    for (const error of response.errors ?? [])
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
      useFactory: (config: AppConfig) => ({
        path: '/graphql',
        autoSchemaFile: true,
        sortSchema: true,
        // Mercurius's GraphiQL loads from a CDN; the offline playground is PlaygroundController.
        graphiql: false,
        jit: 1,
        allowBatchedQueries: false,
        queryDepth: config.graphqlLimits.maxDepth,
        validationRules: validationRules(config),
        // A simple request (form or text/plain POST, GET without a custom header) is refused.
        csrfPrevention: { requiredHeaders: PREFLIGHT_HEADERS },
        errorFormatter: errorFormatter(config),
        context: (req: FastifyRequest, reply: FastifyReply) => ({ req, reply }),
      }),
    }),
  ],
  controllers: [PlaygroundController],
  providers: [{ provide: APP_FILTER, useClass: GraphqlErrorFilter }],
})
export class GraphqlApiModule {}
