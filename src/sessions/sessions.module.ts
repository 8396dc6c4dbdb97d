import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { AuthCookies } from './cookies.js';
import { SessionEntity } from './session.entity.js';
import { SessionGuard } from './session.guard.js';
import { SessionsService } from './sessions.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([SessionEntity])],
  providers: [
    SessionsService,
    {
      provide: AuthCookies,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new AuthCookies(config.session),
    },
    { provide: APP_GUARD, useClass: SessionGuard },
  ],
  exports: [SessionsService, AuthCookies],
})
export class SessionsModule {}
