import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from './auth/auth.module.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { CacheModule } from './cache/cache.module.js';
import { GraphqlApiModule } from './graphql/graphql-api.module.js';
import { ConnectionDrainer } from './common/connection-drainer.js';
import { HealthModule } from './health/health.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { TokensModule } from './tokens/tokens.module.js';
import { UsersModule } from './users/users.module.js';
import { HomeModule } from './home/home.module.js';
import { RateLimitModule } from './graphql/rate-limit.module.js';
import { RiscModule } from './risc/risc.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        DatabaseModule,
        CacheModule,
        MetricsModule,
        GraphqlApiModule,
        RateLimitModule,
        AuthModule,
        UsersModule,
        TokensModule,
        RiscModule,
        HomeModule,
        HealthModule,
      ],
      providers: [ConnectionDrainer],
    };
  }
}
