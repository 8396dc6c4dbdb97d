import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { SessionsService } from '../../sessions/sessions.service.js';
import { holdsUsableRefreshToken } from '../../tokens/grant-lifetime.js';
import { TokenStore } from '../../tokens/token-store.service.js';
import { UsersService } from '../../users/users.service.js';
import { AuthCookies } from '../../sessions/cookies.js';

/**
 * When a sign-in sends `prompt=consent`. Each forced consent makes Google mint a refresh token,
 * and Google keeps only the newest 100 per user and client, so it is asked only when no usable
 * refresh token is held. Who signs in is known at the start only from a session; otherwise the
 * callback checks, and a sign-in that brought none goes round once more with prompt=consent.
 */
@Injectable()
export class ConsentPolicy {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionsService,
    private readonly cookies: AuthCookies,
    private readonly users: UsersService,
    private readonly tokens: TokenStore,
  ) {}

  /** At the start: true when the signed-in user holds no usable refresh token. */
  async neededAtStart(request: FastifyRequest): Promise<boolean> {
    const session = await this.sessions.resolve(this.cookies.readSession(request));
    if (!session) return false;
    return !this.usable(await this.tokens.findByUser(session.userId));
  }

  /**
   * At the callback of a sign-in that did not force consent and got no refresh token: true when
   * this Google account holds no usable one here either, so Google must mint one.
   */
  async neededAfter(googleSub: string): Promise<boolean> {
    const user = await this.users.findByGoogleSub(googleSub);
    return !this.usable(user ? await this.tokens.findByUser(user.id) : null);
  }

  private usable(row: Parameters<typeof holdsUsableRefreshToken>[0]): boolean {
    return holdsUsableRefreshToken(row, this.config.google.publishingStatus);
  }
}
