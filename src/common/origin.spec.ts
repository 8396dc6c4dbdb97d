import { describe, expect, it } from '@jest/globals';
import { isForeignFormPost, isForeignOrigin } from './origin.js';

const OWN = 'https://tokens.example.com';

describe('isForeignOrigin (GraphQL)', () => {
  it.each([
    [undefined, false],
    [OWN, false],
    ['https://evil.example', true],
    ['https://tokens.example.com:8443', true],
    ['http://tokens.example.com', true],
    ['null', true],
  ])('Origin %s is foreign: %s', (origin, foreign) => {
    expect(isForeignOrigin(origin, OWN)).toBe(foreign);
  });
});

describe('isForeignFormPost (REST forms)', () => {
  it.each([
    ['no Origin, no Sec-Fetch-Site (not a browser)', {}, false],
    ['our Origin', { origin: OWN }, false],
    ['our Origin, same-origin', { origin: OWN, 'sec-fetch-site': 'same-origin' }, false],
    [
      'Origin null, same-origin (our form under no-referrer)',
      { origin: 'null', 'sec-fetch-site': 'same-origin' },
      false,
    ],
    ['another Origin', { origin: 'https://evil.example' }, true],
    ['Origin null without Sec-Fetch-Site', { origin: 'null' }, true],
    [
      'Origin null, same-site (a sibling subdomain or port)',
      { origin: 'null', 'sec-fetch-site': 'same-site' },
      true,
    ],
    ['Origin null, cross-site', { origin: 'null', 'sec-fetch-site': 'cross-site' }, true],
    ['our Origin but cross-site', { origin: OWN, 'sec-fetch-site': 'cross-site' }, true],
    [
      'another Origin but same-origin',
      { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' },
      true,
    ],
    ['Sec-Fetch-Site none (typed in the address bar)', { 'sec-fetch-site': 'none' }, true],
  ])('%s: foreign is %s', (_name, headers, foreign) => {
    expect(isForeignFormPost(headers, OWN)).toBe(foreign);
  });
});
