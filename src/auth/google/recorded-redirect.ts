/**
 * What passport is given as the response. Passport redirects by setting `statusCode` and
 * `Location` and calling `end()`; this records that, so the route can send the redirect through
 * Fastify (its hooks then add the security headers, the request id and the cookies).
 */
export class RecordedRedirect {
  statusCode = 200;
  private readonly headers = new Map<string, string>();
  private markEnded!: (location: string) => void;
  /** Settles with the Location once passport has ended the response. */
  readonly ended = new Promise<string>((resolve) => (this.markEnded = resolve));

  setHeader(name: string, value: string | number): void {
    this.headers.set(name.toLowerCase(), String(value));
  }

  end(): void {
    this.markEnded(this.headers.get('location') ?? '');
  }
}
