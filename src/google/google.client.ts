import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { readTokenResponse, type TokenResponse } from './token-response.js';
import {
  classifyApiError,
  classifyTokenEndpointError,
  GoogleApiError,
  GoogleErrorKind,
  parseJsonObject,
} from './google-api.error.js';
import {
  describeSchemaError,
  tokeninfoAnswer,
  userinfoAnswer,
  type GoogleUserinfo,
} from './google-answers.js';
import { googleEndpoints, type GoogleEndpoints } from './google-endpoints.js';
import { withRetries } from './retry.js';

export type TokenInfo =
  { valid: true; fields: Record<string, string> } | { valid: false; reason: string };

interface RawAnswer {
  status: number;
  body: string;
}

const FORM = 'application/x-www-form-urlencoded';
/** No answer of Google's we use comes near this; a bigger one is refused unread. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The only code that calls Google over HTTP (besides passport's code exchange at sign-in):
 * pooled keep-alive connections, a deadline on every call, and every failure classified.
 */
@Injectable()
export class GoogleClient implements OnApplicationShutdown {
  private readonly agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  private readonly endpoints: GoogleEndpoints;
  private readonly timeoutMs: number;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.endpoints = googleEndpoints(config.google);
    this.timeoutMs = config.google.httpTimeoutMs;
  }

  /** After the HTTP server has closed: requests still finishing may need Google until then. */
  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }

  /**
   * Exchanges a refresh token for a new access token (and, from some providers, a new refresh
   * token), retrying transient failures with backoff until `deadlineAt`.
   */
  async refreshAccessToken(
    refreshToken: string,
    deadlineAt = Date.now() + this.timeoutMs,
  ): Promise<TokenResponse> {
    const body = form({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: this.config.google.clientId,
      client_secret: this.config.google.clientSecret,
    });
    return withRetries({ deadlineAt, maxAttempts: 4, baseDelayMs: 200 }, async (remainingMs) => {
      const timeoutMs = Math.min(this.timeoutMs, remainingMs);
      const answer = await this.send(
        this.endpoints.token,
        'POST',
        { 'content-type': FORM },
        body,
        timeoutMs,
      );
      if (answer.status !== 200) throw classifyTokenEndpointError(answer.status, answer.body);
      const json = parseJsonObject(answer.body);
      if (!json) throw badAnswer('token response is not a JSON object');
      return readTokenResponse(json);
    });
  }

  /** The OpenID Connect userinfo of the token's user. */
  async userinfo(accessToken: string): Promise<GoogleUserinfo> {
    const answer = await this.send(this.endpoints.userinfo, 'GET', {
      authorization: `Bearer ${accessToken}`,
    });
    if (answer.status !== 200) throw classifyApiError(answer.status, answer.body);
    return checked(userinfoAnswer, parseJsonObject(answer.body), 'userinfo');
  }

  /** What Google's tokeninfo says of an access token: its fields, or why it is not valid. */
  async tokenInfo(accessToken: string): Promise<TokenInfo> {
    const answer = await this.send(
      this.endpoints.tokeninfo,
      'POST',
      { 'content-type': FORM },
      form({ access_token: accessToken }),
    );
    const json = parseJsonObject(answer.body);
    if (answer.status === 400 && json?.error === 'invalid_token') {
      return {
        valid: false,
        reason:
          typeof json.error_description === 'string' ? json.error_description : 'invalid_token',
      };
    }
    if (answer.status !== 200 || !json) throw classifyApiError(answer.status, answer.body);
    return { valid: true, fields: checked(tokeninfoAnswer, json, 'tokeninfo') };
  }

  /** Revokes the whole grant behind a token; an already invalid token counts as revoked. */
  async revoke(token: string): Promise<void> {
    const answer = await this.send(
      this.endpoints.revoke,
      'POST',
      { 'content-type': FORM },
      form({ token }),
    );
    if (answer.status === 200) return;
    if (answer.status === 400 && parseJsonObject(answer.body)?.error === 'invalid_token') return;
    throw classifyApiError(answer.status, answer.body);
  }

  private async send(
    url: string,
    method: 'GET' | 'POST',
    headers: Record<string, string>,
    body?: string,
    timeoutMs = this.timeoutMs,
  ): Promise<RawAnswer> {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        dispatcher: this.agent,
        method,
        headers: { accept: 'application/json', ...headers },
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw unreachable(method, url, error);
    }
    return { status: response.statusCode, body: await readCapped(response, method, url) };
  }
}

/**
 * The body as text, refused past MAX_BODY_BYTES (declared or streamed): a huge answer costs
 * neither the memory nor the time to read it whole.
 */
async function readCapped(
  response: Dispatcher.ResponseData,
  method: string,
  url: string,
): Promise<string> {
  const declared = Number(response.headers['content-length']);
  if (declared > MAX_BODY_BYTES) {
    response.body.destroy();
    throw badAnswer(`${method} ${new URL(url).pathname} answered ${declared} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) break;
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    throw unreachable(method, url, error);
  }
  if (size > MAX_BODY_BYTES) {
    response.body.destroy();
    throw badAnswer(
      `${method} ${new URL(url).pathname} answered more than ${MAX_BODY_BYTES} bytes`,
    );
  }
  return Buffer.concat(chunks).toString('utf8');
}

function unreachable(method: string, url: string, error: unknown): GoogleApiError {
  const reason = (error as { code?: string; name?: string }).code ?? (error as Error).name;
  return new GoogleApiError(
    GoogleErrorKind.Unavailable,
    `${method} ${new URL(url).pathname} failed: ${reason}`,
  );
}

function badAnswer(detail: string): GoogleApiError {
  return new GoogleApiError(GoogleErrorKind.BadResponse, detail, 200);
}

/** The answer as its schema reads it, or a BAD_RESPONSE naming the field (never its value). */
function checked<Schema extends z.ZodType>(
  schema: Schema,
  json: Record<string, unknown> | undefined,
  what: string,
): z.output<Schema> {
  if (!json) throw badAnswer(`${what} is not a JSON object`);
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw badAnswer(`${what} refused (${describeSchemaError(parsed.error)})`);
  return parsed.data;
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}
