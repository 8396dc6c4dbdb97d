import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { AuthCookies } from './cookies.js';
import { LoginStateEntity } from './login-state.entity.js';
import { LoginStateStore } from './login-state.store.js';
import { SessionGuard } from './session.guard.js';
import { SignInService } from './sign-in.service.js';
import { APP_GUARD } from '@nestjs/core';

@Module({
  imports: [
    TypeOrmModule.forFeature([LoginStateEntity]),
    UsersModule,
    TokensModule,
    SessionsModule,
  ],
  controllers: [AuthController],
  providers: [
    {
      provide: AuthCookies,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new AuthCookies(config.session),
    },
    LoginStateStore,
    SignInService,
    { provide: APP_GUARD, useClass: SessionGuard },
  ],
  exports: [AuthCookies],
})
export class AuthModule {}
