import { randomBytes, randomInt } from 'node:crypto';

// Random strings shaped like Google's: tests that pass them around unencoded, truncate them or
// log them should fail here the way they would against Google.

function randomPart(byteCount: number): string {
  return randomBytes(byteCount).toString('base64url');
}

/** `4/0A…`: the slash makes clients that forget to URL-decode the callback fail. */
export function newAuthorizationCode(marker = ''): string {
  return `4/0A${marker}${randomPart(54)}`;
}

export function newAccessToken(marker = ''): string {
  return `ya29.a0${marker}${randomPart(150)}`;
}

export function newRefreshToken(marker = ''): string {
  return `1//0${marker}${randomPart(72)}`;
}

export function newRequestId(): string {
  return randomPart(24);
}

/** 40 lowercase hex digits, like the kids Google publishes. */
export function newKeyId(): string {
  return randomBytes(20).toString('hex');
}

/** 21 digits starting with 1, like a Google account `sub`. */
export function newSubject(): string {
  let digits = '1';
  while (digits.length < 21) digits += String(randomInt(10));
  return digits;
}
