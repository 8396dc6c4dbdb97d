import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { GraphqlErrorFilter } from './graphql-error.filter.js';
import { PlaygroundController } from './playground.controller.js';

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
        // Production does not describe its schema to strangers.
        validationRules: config.isProduction ? [NoSchemaIntrospectionCustomRule] : [],
        context: (req: FastifyRequest, reply: FastifyReply) => ({ req, reply }),
      }),
    }),
  ],
  controllers: [PlaygroundController],
  providers: [{ provide: APP_FILTER, useClass: GraphqlErrorFilter }],
})
export class GraphqlApiModule {}
