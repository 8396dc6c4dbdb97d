const MAX_LENGTH = 512;

/**
 * A same-origin path to land on after sign-in, checked before the sign-in starts: anything else
 * (other hosts, `//x`, `/\x`) becomes `/`. So does any character that cannot go into a Location
 * header as it is: controls, DEL and anything beyond ASCII (U+2028 and U+2029 included); links
 * percent-encode such characters, and this keeps them encoded.
 */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_LENGTH) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return '/';
  if (!/^[\x20-\x7e]*$/.test(value)) return '/';
  return value;
}
