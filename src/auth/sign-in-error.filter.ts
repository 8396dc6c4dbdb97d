import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { escapeHtml, htmlPage } from '../common/html.js';
import { SIGN_IN_ERRORS, SignInError } from './sign-in.error.js';

/** Ends a failed sign-in on a page that says what happened, with its status, and a way to start again. */
@Catch(SignInError)
export class SignInErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('SignIn');

  catch(error: SignInError, host: ArgumentsHost): void {
    const { status, title } = SIGN_IN_ERRORS[error.code];
    this.logger.warn(`Sign-in failed: ${error.code} (${error.reason})`);
    const body = `<h1>Sign-in failed</h1>
<p class="error">${escapeHtml(title)}</p>
<p class="muted">Code: ${escapeHtml(error.code)}</p>
<p><a class="button" href="/auth/google">Sign in again</a> <a class="button secondary" href="/">Home</a></p>`;
    void host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .code(status)
      .header('Cache-Control', 'no-store')
      .header('Referrer-Policy', 'no-referrer')
      .type('text/html; charset=utf-8')
      .send(htmlPage('Sign-in failed', body));
  }
}
