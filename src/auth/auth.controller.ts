import { randomBytes } from 'node:crypto';
import { Controller, Get, Inject, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SessionsService } from '../sessions/sessions.service.js';
import { TokenRevoker } from '../tokens/token-revoker.js';
import { AuthCookies, safeReturnPath } from './cookies.js';
import { renderApiTokenPage } from './api-token.page.js';
import { SignInErrorFilter } from './sign-in-error.filter.js';
import { SignInService } from './sign-in.service.js';

@Controller('auth')
@UseFilters(SignInErrorFilter)
export class AuthController {
  constructor(
    private readonly signIn: SignInService,
    private readonly sessions: SessionsService,
    @Inject(AuthCookies) private readonly cookies: AuthCookies,
    private readonly revoker: TokenRevoker,
  ) {}

  @Get('google')
  async startGoogleSignIn(
    @Query('returnTo') returnTo: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const binding = randomBytes(32).toString('base64url');
    const consentUrl = await this.signIn.start(binding, safeReturnPath(returnTo));
    this.cookies.setLoginBinding(reply, binding);
    await reply.header('Cache-Control', 'no-store').redirect(consentUrl, 302);
  }

  @Get('google/callback')
  async finishGoogleSignIn(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    reply.header('Cache-Control', 'no-store').header('Referrer-Policy', 'no-referrer');
    this.cookies.clearLoginBinding(reply);
    const query = request.query as Record<string, string | undefined>;
    const completed = await this.signIn.complete(query, this.cookies.readLoginBinding(request));
    // A new session id at sign-in: whatever session this browser had before is ended.
    await this.sessions.destroy(this.cookies.readSession(request));
    this.cookies.setSession(reply, completed.sessionId);
    await reply.redirect(completed.returnTo, 303);
  }

  /** A new session for an API client, shown once; send it as `Authorization: Bearer <token>`. */
  @Post('api-token')
  async createApiToken(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = await this.sessions.resolve(this.cookies.readSession(request));
    reply.header('Cache-Control', 'no-store').type('text/html; charset=utf-8');
    if (!session) {
      await reply.code(401).send(renderApiTokenPage(null));
      return;
    }
    const token = await this.sessions.create(undefined, session.userId);
    await reply.code(201).send(renderApiTokenPage(token));
  }

  /** Revokes the Google grant and forgets the tokens; the app session stays. */
  @Post('disconnect')
  async disconnect(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = await this.sessions.resolve(this.cookies.readSession(request));
    if (session) await this.revoker.revoke(session.userId);
    await reply.header('Cache-Control', 'no-store').redirect('/', 303);
  }

  @Post('logout')
  async logout(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.sessions.destroy(this.cookies.readSession(request));
    this.cookies.clearSession(reply);
    await reply.header('Cache-Control', 'no-store').redirect('/', 303);
  }
}
