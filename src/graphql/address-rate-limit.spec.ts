import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { AppConfig } from '../config/app-config.js';
import { GraphqlAddressLimit, TRUST_EVERY_PROXY_WARNING } from './address-rate-limit.js';

function startedWith(trustProxy: AppConfig['trustProxy']): string[] {
  const warnings: string[] = [];
  const warn = jest
    .spyOn(Logger.prototype, 'warn')
    .mockImplementation((message: unknown) => void warnings.push(String(message)));
  const fastify = { addHook: () => undefined };
  const adapterHost = { httpAdapter: { getInstance: () => fastify } } as unknown as HttpAdapterHost;
  const config = { trustProxy } as AppConfig;
  new GraphqlAddressLimit(adapterHost, {} as ThrottlerStorage, config).onModuleInit();
  warn.mockRestore();
  return warnings;
}

describe('GraphqlAddressLimit at start', () => {
  it('warns that TRUST_PROXY=true (or a /0 range) lets any client pick its address', () => {
    expect(startedWith(true)).toEqual([TRUST_EVERY_PROXY_WARNING]);
    expect(startedWith('0.0.0.0/0')).toEqual([TRUST_EVERY_PROXY_WARNING]);
    expect(TRUST_EVERY_PROXY_WARNING).toMatch(/any client can name its own address/);
  });

  it('says nothing for a hop count, addresses, or no proxy', () => {
    expect(startedWith(1)).toEqual([]);
    expect(startedWith('10.0.0.0/8')).toEqual([]);
    expect(startedWith(false)).toEqual([]);
  });
});
