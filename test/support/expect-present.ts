import { expect } from '@jest/globals';

/** expect(value).toBeTruthy(), and the compiler then knows the value is there. */
export function expectPresent<T>(value: T): asserts value is NonNullable<T> {
  expect(value).toBeTruthy();
}
