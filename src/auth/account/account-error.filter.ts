import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppError, AppErrorCode } from '../../common/app-error.js';
import { escapeHtml, htmlPage } from '../../common/html.js';

/** The HTTP status of each code on a page (the GraphQL API carries the code itself). */
const PAGE_STATUS: Record<AppErrorCode, number> = {
  [AppErrorCode.Unauthenticated]: 401,
  [AppErrorCode.ReauthRequired]: 401,
  [AppErrorCode.Forbidden]: 403,
  [AppErrorCode.BadUserInput]: 400,
  [AppErrorCode.RateLimited]: 429,
  [AppErrorCode.InsufficientScope]: 403,
  [AppErrorCode.UpstreamUnavailable]: 503,
  [AppErrorCode.Internal]: 500,
};

/** Ends a refused account action (sign out, API token, disconnect) on a page with its status. */
@Catch(AppError)
export class AccountErrorFilter implements ExceptionFilter {
  catch(error: AppError, host: ArgumentsHost): void {
    const body = `<h1>Not done</h1>
<p class="error">${escapeHtml(error.message)}</p>
<p class="muted">Code: ${escapeHtml(error.code)}</p>
<p><a class="button secondary" href="/">Home</a></p>`;
    void host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .code(PAGE_STATUS[error.code])
      .header('Cache-Control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(htmlPage('Not done', body));
  }
}
