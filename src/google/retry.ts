import { setTimeout as sleep } from 'node:timers/promises';
import { GoogleApiError, GoogleErrorKind } from './google-api.error.js';

export interface RetryPolicy {
  /** No attempt starts, and no wait goes, past this moment (epoch ms). */
  deadlineAt: number;
  maxAttempts: number;
  baseDelayMs: number;
}

/**
 * Runs `attempt` again after transient failures (timeouts, 5xx, 429, non-JSON pages) with
 * exponential backoff and full jitter, never past the deadline. Each attempt gets the time left.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: (timeoutMs: number) => Promise<T>,
): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    const remainingMs = policy.deadlineAt - Date.now();
    if (remainingMs <= 0)
      throw new GoogleApiError(GoogleErrorKind.Unavailable, 'refresh deadline passed');
    try {
      return await attempt(remainingMs);
    } catch (error) {
      if (
        !(error instanceof GoogleApiError) ||
        !error.retryable ||
        attemptNumber >= policy.maxAttempts
      )
        throw error;
      const backoffMs = Math.random() * policy.baseDelayMs * 2 ** (attemptNumber - 1);
      if (Date.now() + backoffMs >= policy.deadlineAt) throw error;
      await sleep(backoffMs);
    }
  }
}
