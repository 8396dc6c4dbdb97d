import { Module } from '@nestjs/common';
import { GoogleClient } from './google.client.js';

@Module({ providers: [GoogleClient], exports: [GoogleClient] })
export class GoogleModule {}
