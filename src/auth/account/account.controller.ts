import { Controller, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SessionsService } from '../../sessions/sessions.service.js';
import { TokenRevoker } from '../../tokens/token-revoker.js';
import { AccountErrorFilter } from './account-error.filter.js';
import { renderApiTokenPage } from './api-token.page.js';
import { AuthCookies } from '../../sessions/cookies.js';
import { SameOriginGuard } from './same-origin.guard.js';

/**
 * What a signed-in person does from our pages' forms. Every route changes state, so each refuses
 * requests from other origins; each acts on the session cookie.
 */
@Controller('auth')
@UseGuards(SameOriginGuard)
@UseFilters(AccountErrorFilter)
export class AccountController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly cookies: AuthCookies,
    private readonly revoker: TokenRevoker,
  ) {}

  /** A new session for an API client, shown once; it ends no later than this session, and with it. */
  @Post('api-token')
  async createApiToken(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = await this.sessions.resolve(this.cookies.readSession(request));
    reply.header('Cache-Control', 'no-store').type('text/html; charset=utf-8');
    if (!session) {
      await reply.code(401).send(renderApiTokenPage(null));
      return;
    }
    const token = await this.sessions.createApiToken(session);
    await reply.code(201).send(renderApiTokenPage(token));
  }

  /** Revokes the Google grant and forgets the tokens; the app session stays. */
  @Post('disconnect')
  async disconnect(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = await this.sessions.resolve(this.cookies.readSession(request));
    if (session) await this.revoker.revoke(session.userId);
    await reply.header('Cache-Control', 'no-store').redirect('/', 303);
  }

  /** Ends this session and the API tokens minted from it. */
  @Post('logout')
  async logout(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.sessions.destroy(this.cookies.readSession(request));
    this.cookies.clearSession(reply);
    await reply.header('Cache-Control', 'no-store').redirect('/', 303);
  }

  /** Ends every session and API token of the signed-in user, on every device. */
  @Post('logout-everywhere')
  async logoutEverywhere(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const session = await this.sessions.resolve(this.cookies.readSession(request));
    if (session) await this.sessions.destroyAllOf(session.userId);
    this.cookies.clearSession(reply);
    await reply.header('Cache-Control', 'no-store').redirect('/', 303);
  }
}
