import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { OAuthTokenEntity } from './oauth-token.entity.js';
import { TokenCipher } from './token-cipher.js';
import { TokenEventEntity } from './token-event.entity.js';
import { TokenStore } from './token-store.service.js';
import { ProactiveRefresher } from './proactive-refresher.js';
import { RefreshSaver } from './refresh-saver.js';
import { RefreshSpool } from './refresh-spool.js';
import { RefreshTokenBudget } from './refresh-token-budget.js';
import { TokenRefresher } from './token-refresher.js';
import { TokenService } from './token.service.js';
import { TokenRevoker } from './token-revoker.js';
import { TokenEventsPruner } from './token-events-pruner.js';
import { PendingRevocationEntity } from './pending-revocation.entity.js';
import { TokensResolver } from './tokens.resolver.js';
import { GoogleModule } from '../google/google.module.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([OAuthTokenEntity, TokenEventEntity, PendingRevocationEntity]),
    GoogleModule,
  ],
  providers: [
    {
      provide: TokenCipher,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new TokenCipher(config.tokenKeyring),
    },
    {
      provide: RefreshSpool,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new RefreshSpool(join(config.dataDir, 'refresh-spool')),
    },
    TokenStore,
    RefreshSaver,
    RefreshTokenBudget,
    TokenRefresher,
    ProactiveRefresher,
    TokenService,
    TokenRevoker,
    TokenEventsPruner,
    TokensResolver,
  ],
  exports: [
    RefreshTokenBudget,
    TokenCipher,
    TokenStore,
    TokenService,
    TokenRevoker,
    ProactiveRefresher,
  ],
})
export class TokensModule {}
