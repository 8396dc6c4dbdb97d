import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { HomeController } from './home.controller.js';

@Module({
  imports: [SessionsModule, TokensModule, UsersModule],
  controllers: [HomeController],
})
export class HomeModule {}
