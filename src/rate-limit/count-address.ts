import { normalizeIp, type ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { sha256 } from '../common/hash.js';

/**
 * Counts a request against a per-address limit as it arrives, before its body is read, in the
 * throttler's storage (shared by instances when Redis is configured). `name` keeps each limit's
 * counters apart.
 */
export function countAddress(
  storage: ThrottlerStorage,
  request: FastifyRequest,
  limit: { name: string; perWindow: number; windowMs: number },
): ReturnType<ThrottlerStorage['increment']> {
  const { name, perWindow, windowMs } = limit;
  const key = sha256(`${name}:${normalizeIp(request.ip)}`);
  return storage.increment(key, windowMs, perWindow, windowMs, name);
}
