import { Controller, Get, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthCookies } from '../sessions/cookies.js';
import { GoogleCallbackGuard } from './google/google-callback.guard.js';
import { GoogleStartGuard } from './google/google-start.guard.js';
import {
  SignInAnswered,
  SignInStarted,
  type AnsweredSignIn,
  type StartedSignIn,
} from './google/sign-in-request.js';
import { SignInErrorFilter } from './sign-in-error.filter.js';
import { SignInService } from './sign-in.service.js';

/** Sign-in with Google. The guards run passport; the handlers answer through Fastify. */
@Controller('auth/google')
@UseFilters(SignInErrorFilter)
export class SignInController {
  constructor(
    private readonly signIn: SignInService,
    private readonly cookies: AuthCookies,
  ) {}

  @Get()
  @UseGuards(GoogleStartGuard)
  async start(@SignInStarted() started: StartedSignIn, @Res() reply: FastifyReply): Promise<void> {
    this.cookies.setLoginBinding(reply, started.browserBinding);
    await reply.header('Cache-Control', 'no-store').redirect(started.consentUrl, 302);
  }

  @Get('callback')
  @UseGuards(GoogleCallbackGuard)
  async finish(
    @SignInAnswered() answered: AnsweredSignIn,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const completed = await this.signIn.complete(answered, this.cookies.readSession(request));
    if ('consentRoundPath' in completed) {
      await reply
        .header('Cache-Control', 'no-store')
        .header('Referrer-Policy', 'no-referrer')
        .redirect(completed.consentRoundPath, 303);
      return;
    }
    this.cookies.setSession(reply, completed.sessionId);
    await reply
      .header('Cache-Control', 'no-store')
      .header('Referrer-Policy', 'no-referrer')
      .redirect(completed.returnTo, 303);
  }
}
