import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './app-config.js';

const productionEnv = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://tokens.example.com',
  GOOGLE_CLIENT_ID: 'id.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'secret',
  TOKEN_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
};

describe('TRUST_PROXY', () => {
  it('refuses true, or a range of every address, in production with one line that says what to set instead', () => {
    for (const trustProxy of ['true', '0.0.0.0/0', '10.0.0.1, ::/0']) {
      let problems: string[] = [];
      try {
        loadConfig({ ...productionEnv, TRUST_PROXY: trustProxy });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        problems = (error as ConfigError).problems;
      }
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        /^TRUST_PROXY must not be true .*in production: .*hop count.*CIDR/,
      );
    }
  });

  it('takes a hop count or proxy addresses in production', () => {
    expect(loadConfig({ ...productionEnv, TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(
      loadConfig({ ...productionEnv, TRUST_PROXY: '10.0.0.0/8, 192.168.1.4' }).trustProxy,
    ).toBe('10.0.0.0/8, 192.168.1.4');
  });

  it('still takes true outside production, where the app warns about it at start', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });
});
