import { describe, expect, it } from '@jest/globals';
import { safeReturnPath } from './return-path.js';

describe('safeReturnPath', () => {
  it.each([
    '/',
    '/playground?query=1',
    '/playground?query=%7B%20me%20%7D',
    '/caf%C3%A9#section',
    '/a b',
  ])('keeps the same-origin path %j', (path) => {
    expect(safeReturnPath(path)).toBe(path);
  });

  it.each([
    ['another host', 'https://evil.example'],
    ['a protocol-relative URL', '//evil.example'],
    ['a backslash path', '/\\evil.example'],
    ['a script URL', 'javascript:alert(1)'],
    ['a header split', '/\r\nSet-Cookie: x=1'],
    ['NUL', '/a\u0000b'],
    ['ESC', '/\u001b[31m'],
    ['DEL', '/\u007f'],
    ['a C1 control', '/\u0085'],
    ['LINE SEPARATOR', '/\u2028'],
    ['PARAGRAPH SEPARATOR', '/\u2029'],
    ['a Latin-1 letter', '/café'],
    ['an emoji', '/\u{1F600}'],
    ['a lone surrogate', '/\ud800'],
    ['a path too long', `/${'a'.repeat(512)}`],
    ['no string', ['/']],
    ['nothing', undefined],
  ])('turns %s into /', (_name, value) => {
    expect(safeReturnPath(value)).toBe('/');
  });
});
