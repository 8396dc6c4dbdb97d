// The part of autocannon 9 the benchmarks use (the package ships no types, and @types/autocannon
// is not installed).
declare module 'autocannon' {
  export interface Request {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Changes each request before it is sent. */
    setupRequest?: (request: Request) => Request;
  }

  export interface Options {
    /** One URL, or several taken in turn. */
    url: string | string[];
    connections?: number;
    /** Stop after this many requests... */
    amount?: number;
    /** ...or after this many seconds. */
    duration?: number;
    /** Requests per second over all connections. */
    overallRate?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    /** A response whose body fails this counts as a mismatch. */
    verifyBody?: (body: string) => boolean;
    /** Seconds before a request counts as a timeout. */
    timeout?: number;
    requests?: Request[];
  }

  export interface Histogram {
    p50: number;
    p99: number;
    max: number;
    mean: number;
  }

  export interface Result {
    errors: number;
    timeouts: number;
    non2xx: number;
    mismatches?: number;
    /** Seconds. */
    duration: number;
    requests: Histogram & { total: number };
    /** Milliseconds. */
    latency: Histogram;
  }

  export default function autocannon(
    options: Options,
    callback: (error: Error | null, result: Result) => void,
  ): unknown;
}
