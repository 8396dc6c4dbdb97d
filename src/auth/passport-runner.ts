import { Authenticator } from 'passport';
import type { ConsumedLoginState } from './login-state.store.js';

/**
 * The request passport sees: a plain object rather than Fastify's, so passport never touches the
 * framework's request, and so our state store can read what this sign-in carries.
 */
export interface SignInRequest {
  query: Record<string, string | undefined>;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  url: string;
  browserBinding?: string;
  nonce?: string;
  returnTo?: string;
  loginState?: ConsumedLoginState;
}

export type PassportOutcome<User> =
  | { kind: 'redirect'; location: string }
  | { kind: 'success'; user: User }
  | { kind: 'fail'; message: string }
  | { kind: 'error'; error: unknown };

/** Runs one passport strategy to its end and says how it ended: redirect, success, fail or error. */
export function runPassport<User>(
  passport: InstanceType<typeof Authenticator>,
  strategy: string,
  request: SignInRequest,
  options: Record<string, unknown>,
): Promise<PassportOutcome<User>> {
  return new Promise((resolve) => {
    const headers = new Map<string, string>();
    // Passport redirects through statusCode, setHeader and end; nothing else of the response is used.
    const response = {
      statusCode: 200,
      setHeader: (name: string, value: string) => headers.set(name.toLowerCase(), value),
      end: () => resolve({ kind: 'redirect', location: headers.get('location') ?? '' }),
    };
    const middleware = passport.authenticate(
      strategy,
      { ...options, session: false },
      (error: unknown, user: User | false, info?: { message?: string }) => {
        if (error) return resolve({ kind: 'error', error });
        if (!user)
          return resolve({ kind: 'fail', message: info?.message ?? 'authentication failed' });
        resolve({ kind: 'success', user });
      },
    ) as (req: unknown, res: unknown, next: (error?: unknown) => void) => void;
    middleware(request, response, (error) =>
      resolve({ kind: 'error', error: error ?? new Error('passport passed') }),
    );
  });
}
