import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountController } from './account.controller.js';
import { AuthCookies } from './cookies.js';
import { ConsentPolicy } from './google/consent-policy.js';
import { GoogleStrategy } from './google/google.strategy.js';
import { LoginStateEntity } from './google/login-state.entity.js';
import { LoginStateStore } from './google/login-state.store.js';
import { SessionGuard } from './session.guard.js';
import { SignInController } from './sign-in.controller.js';
import { SignInService } from './sign-in.service.js';
import { SignOutResolver } from './sign-out.resolver.js';

@Module({
  imports: [
    // Passport's strategy registry is process-wide: each app registers its Google strategy under a
    // name of its own, so two apps in one process never sign in through each other's.
    PassportModule.registerAsync({
      useFactory: () => ({ defaultStrategy: `google-${randomUUID()}`, session: false }),
    }),
    TypeOrmModule.forFeature([LoginStateEntity]),
    UsersModule,
    TokensModule,
    SessionsModule,
  ],
  controllers: [SignInController, AccountController],
  providers: [
    {
      provide: AuthCookies,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new AuthCookies(config.session),
    },
    LoginStateStore,
    ConsentPolicy,
    GoogleStrategy,
    SignInService,
    SignOutResolver,
    { provide: APP_GUARD, useClass: SessionGuard },
  ],
  exports: [AuthCookies],
})
export class AuthModule {}
