import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountController } from './account/account.controller.js';
import { ConsentPolicy } from './google/consent-policy.js';
import { GoogleStrategy } from './google/google.strategy.js';
import { LoginStateEntity } from './google/login-state.entity.js';
import { LoginStateStore } from './google/login-state.store.js';
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
  providers: [LoginStateStore, ConsentPolicy, GoogleStrategy, SignInService, SignOutResolver],
})
export class AuthModule {}
