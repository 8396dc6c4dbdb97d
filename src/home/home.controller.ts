import { Controller, Get, Header, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuthCookies } from '../sessions/cookies.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { TokenService } from '../tokens/token.service.js';
import { renderHomePage } from './home.page.js';

@Controller()
export class HomeController {
  constructor(
    private readonly cookies: AuthCookies,
    private readonly sessions: SessionsService,
    private readonly tokens: TokenService,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async home(@Req() request: FastifyRequest): Promise<string> {
    const session = await this.sessions.resolve(this.cookies.readSession(request));
    const user = session?.user;
    if (!user) return renderHomePage(null);
    return renderHomePage({ user, token: await this.tokens.statusIfStored(user.id) });
  }
}
