import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionsModule } from '../sessions/sessions.module.js';
import { OAuthTokenEntity } from '../tokens/oauth-token.entity.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UserEntity } from '../users/user.entity.js';
import { GrantFinder } from './grant-finder.js';
import { RiscActions } from './risc-actions.js';
import { RiscController } from './risc.controller.js';
import { RiscHttpLimits } from './risc-http-limits.js';
import { RiscReceiver } from './risc-receiver.service.js';
import { SeenEventEntity } from './seen-event.entity.js';
import { SeenEventsPruner } from './seen-events.pruner.js';
import { SeenEventsStore } from './seen-events.store.js';

/** Cross-Account Protection: POST /risc receives Google's security events and acts on them. */
@Module({
  imports: [
    TypeOrmModule.forFeature([SeenEventEntity, UserEntity, OAuthTokenEntity]),
    TokensModule,
    SessionsModule,
  ],
  controllers: [RiscController],
  providers: [
    RiscHttpLimits,
    RiscReceiver,
    RiscActions,
    GrantFinder,
    SeenEventsStore,
    SeenEventsPruner,
  ],
})
export class RiscModule {}
