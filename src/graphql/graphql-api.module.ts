import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GraphqlErrorFilter } from './graphql-error.filter.js';
import { PlaygroundController } from './playground.controller.js';

/** GraphQL at /graphql, code-first, served by Mercurius with graphql-jit. */
@Module({
  imports: [
    GraphQLModule.forRoot<MercuriusDriverConfig>({
      driver: MercuriusDriver,
      path: '/graphql',
      autoSchemaFile: true,
      sortSchema: true,
      // Mercurius's GraphiQL loads from a CDN; the offline playground is served by PlaygroundController.
      graphiql: false,
      jit: 1,
      context: (req: FastifyRequest, reply: FastifyReply) => ({ req, reply }),
    }),
  ],
  controllers: [PlaygroundController],
  providers: [{ provide: APP_FILTER, useClass: GraphqlErrorFilter }],
})
export class GraphqlApiModule {}
