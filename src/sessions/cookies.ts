import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config.js';

const LOGIN_BINDING_MAX_AGE_SECONDS = 10 * 60;

/** Names and attributes of the two cookies: the session, and the binding of a sign-in to its browser. */
export class AuthCookies {
  private readonly loginCookieName: string;

  constructor(private readonly session: AppConfig['session']) {
    this.loginCookieName = session.secureCookie ? '__Host-tokenkeep_login' : 'tokenkeep_login';
  }

  readSession(request: FastifyRequest): string | undefined {
    return request.cookies[this.session.cookieName];
  }

  setSession(reply: FastifyReply, sessionId: string): void {
    reply.setCookie(this.session.cookieName, sessionId, {
      ...this.attributes(),
      maxAge: this.session.absoluteTimeoutSeconds,
    });
  }

  clearSession(reply: FastifyReply): void {
    reply.clearCookie(this.session.cookieName, this.attributes());
  }

  readLoginBinding(request: FastifyRequest): string | undefined {
    return request.cookies[this.loginCookieName];
  }

  setLoginBinding(reply: FastifyReply, binding: string): void {
    reply.setCookie(this.loginCookieName, binding, {
      ...this.attributes(),
      maxAge: LOGIN_BINDING_MAX_AGE_SECONDS,
    });
  }

  clearLoginBinding(reply: FastifyReply): void {
    reply.clearCookie(this.loginCookieName, this.attributes());
  }

  private attributes() {
    return {
      path: '/',
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: this.session.secureCookie,
    };
  }
}
