import { Controller, Get, Header, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import {
  loadPlaygroundAssets,
  PLAYGROUND_PAGE,
  type PlaygroundAsset,
} from './playground.assets.js';

/** The GraphiQL playground at /playground, outside production only. */
@Controller('playground')
export class PlaygroundController {
  private readonly assets: Map<string, PlaygroundAsset>;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.assets = config.isProduction ? new Map<string, PlaygroundAsset>() : loadPlaygroundAssets();
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    if (this.config.isProduction) throw new NotFoundException();
    return PLAYGROUND_PAGE;
  }

  @Get('assets/:name')
  async asset(@Param('name') name: string, @Res() reply: FastifyReply): Promise<void> {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException();
    await reply
      .type(asset.contentType)
      .header('Cache-Control', 'public, max-age=86400')
      .send(asset.body);
  }
}
