import { describe, expect, it } from '@jest/globals';
import { TestBrowser } from './support/browser.js';
import { withAppBehindDatabaseProxy } from './support/tcp-proxy.js';

const AS_A_BROWSER = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('REST routes while PostgreSQL is unreachable', () => {
  const browser = new TestBrowser();
  const suite = withAppBehindDatabaseProxy(browser);

  it('answer a browser with the 503 error page, an API client with a retryable JSON error, and work again once it is back', async () => {
    const { app, proxy } = suite;
    await proxy.cut();

    const home = await browser.get(`${app.url}/`, AS_A_BROWSER);
    const logout = await browser.postForm(`${app.url}/auth/logout`, {}, AS_A_BROWSER);
    for (const page of [home, logout]) {
      expect(page.status).toBe(503);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('retry-after')).toBe('5');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.body).toContain('<h1>Temporarily unavailable</h1>');
      expect(page.body).toContain('UPSTREAM_UNAVAILABLE');
      // nothing of the driver's error reaches the page
      expect(page.body).not.toMatch(/ECONNREFUSED|Connection terminated|127\.0\.0\.1/);
    }
    // the failed sign-out kept the session cookie, so it can be tried again
    expect(logout.headers.getSetCookie()).toEqual([]);

    const api = await browser.get(`${app.url}/`, { accept: 'application/json' });
    expect(api.status).toBe(503);
    expect(JSON.parse(api.body)).toEqual({
      statusCode: 503,
      code: 'UPSTREAM_UNAVAILABLE',
      message: 'The database is unavailable; try again shortly',
      retryable: true,
    });

    await proxy.restore();
    const back = await browser.get(`${app.url}/`, AS_A_BROWSER);
    expect(back.status).toBe(200);
    expect(back.body).toContain('Signed in as');
  });
});
