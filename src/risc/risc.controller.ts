import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RiscReceiver } from './risc-receiver.service.js';

/** The same answer for every refused token, whatever the reason: the sender learns nothing. */
export const REFUSED_BODY = { err: 'invalid_request', description: 'The token was not accepted.' };
const RETRY_AFTER_SECONDS = 30;

/**
 * RFC 8935 push delivery of Security Event Tokens from Google's Cross-Account Protection.
 * Unauthenticated by design: the token's signature is the authentication.
 */
@Controller('risc')
export class RiscController {
  constructor(private readonly receiver: RiscReceiver) {}

  @Post()
  async receive(
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const result = await this.receiver.receive(body, request.ip);
    reply.header('Cache-Control', 'no-store');
    if (result === 'accepted') return void (await reply.code(202).send());
    if (result === 'unavailable') {
      await reply.code(503).header('Retry-After', String(RETRY_AFTER_SECONDS)).send();
      return;
    }
    await reply.code(400).send(REFUSED_BODY);
  }
}
