import { Global, Module } from '@nestjs/common';
import { CacheCoherence } from './cache-coherence.js';

/** Whether rows kept in memory can be trusted, for every module that keeps some (see CacheCoherence). */
@Global()
@Module({ providers: [CacheCoherence], exports: [CacheCoherence] })
export class CacheModule {}
