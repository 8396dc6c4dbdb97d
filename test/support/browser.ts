/** A minimal browser over real HTTP: a cookie jar, manual redirects, and a record of every body it saw. */
export class TestBrowser {
  private readonly cookies = new Map<string, string>();
  /** Every response body and Set-Cookie header received, for scans that no secret leaked. */
  readonly seen: string[] = [];
  /** The same, with the URL each came from. */
  readonly seenFrom: { url: string; text: string }[] = [];

  async get(url: string, headers: Record<string, string> = {}): Promise<BrowserResponse> {
    return this.send(url, { method: 'GET', headers });
  }

  async postForm(
    url: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<BrowserResponse> {
    return this.send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  async postJson(
    url: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<BrowserResponse> {
    return this.send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  }

  /** Follows redirects like a browser would, up to a bound, and returns every hop. */
  async follow(first: BrowserResponse, limit = 10): Promise<BrowserResponse[]> {
    const hops = [first];
    let current = first;
    while (current.location && hops.length <= limit) {
      current = await this.get(current.location);
      hops.push(current);
    }
    return hops;
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  /** The Cookie header this browser sends. */
  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private async send(
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string },
  ) {
    const cookieHeader = this.cookieHeader();
    const response = await fetch(url, {
      ...init,
      headers: { ...init.headers, ...(cookieHeader ? { cookie: cookieHeader } : {}) },
      redirect: 'manual',
    });
    const setCookies = response.headers.getSetCookie();
    for (const header of setCookies) this.storeCookie(header);
    const body = await response.text();
    const texts = [body, ...setCookies, response.headers.get('location') ?? ''];
    this.seen.push(...texts);
    this.seenFrom.push(...texts.map((text) => ({ url, text })));
    const location = response.headers.get('location');
    return {
      url,
      status: response.status,
      headers: response.headers,
      body,
      location: location ? new URL(location, url).toString() : undefined,
    };
  }

  private storeCookie(header: string): void {
    const [pair, ...attributes] = header.split(';');
    const [name, ...rest] = pair.split('=');
    const value = rest.join('=');
    const expired = attributes.some(
      (a) => /^\s*max-age=0\s*$/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a),
    );
    if (expired || value === '') this.cookies.delete(name.trim());
    else this.cookies.set(name.trim(), value);
  }
}

export interface BrowserResponse {
  url: string;
  status: number;
  headers: Headers;
  body: string;
  location?: string;
}
