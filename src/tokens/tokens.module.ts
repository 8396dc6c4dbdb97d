import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { OAuthTokenEntity } from './oauth-token.entity.js';
import { TokenCipher } from './token-cipher.js';
import { TokenEventEntity } from './token-event.entity.js';
import { TokenStore } from './token-store.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([OAuthTokenEntity, TokenEventEntity])],
  providers: [
    {
      provide: TokenCipher,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new TokenCipher(config.tokenKeyring),
    },
    TokenStore,
  ],
  exports: [TokenCipher, TokenStore],
})
export class TokensModule {}
