import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppError, AppErrorCode } from '../../common/app-error.js';
import { isForeignFormPost } from '../../common/origin.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.module.js';

/**
 * Refuses a state-changing REST request a browser sends from another origin (another site, a
 * sibling subdomain, another port): GraphQL's Origin rule, with Sec-Fetch-Site for the forms
 * whose Origin a browser hides. SameSite=Lax cookies stop other sites, not same-site ones.
 */
@Injectable()
export class SameOriginGuard implements CanActivate {
  private readonly ownOrigin: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.ownOrigin = new URL(config.publicUrl).origin;
  }

  canActivate(context: ExecutionContext): boolean {
    const { headers } = context.switchToHttp().getRequest<FastifyRequest>();
    if (isForeignFormPost(headers, this.ownOrigin)) {
      throw new AppError(AppErrorCode.Forbidden, 'Requests from other sites are not allowed here.');
    }
    return true;
  }
}
