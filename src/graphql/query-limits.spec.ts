import { describe, expect, it } from '@jest/globals';
import { getIntrospectionQuery, parse } from 'graphql';
import { findLimitBreach, maxTokensFor, type QueryLimits } from './query-limits.js';

const DEVELOPMENT: QueryLimits = {
  maxDepth: 8,
  maxAliases: 15,
  maxFields: 200,
  maxTokens: maxTokensFor(200),
  introspection: true,
};
const PRODUCTION: QueryLimits = { ...DEVELOPMENT, introspection: false };

const breach = (document: string, limits = DEVELOPMENT) => findLimitBreach(parse(document), limits);

/** `ofType { … }` nested `levels` times around `inner`. */
const ofTypeChain = (levels: number, inner = 'name') =>
  Array.from({ length: levels }).reduce<string>((selection) => `ofType { ${selection} }`, inner);

const ALL_INTROSPECTION_OPTIONS = {
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
};

describe('findLimitBreach', () => {
  it('lets the introspection queries of GraphiQL and other IDEs through when introspection is on', () => {
    expect(breach(getIntrospectionQuery())).toBe(null);
    expect(breach(getIntrospectionQuery(ALL_INTROSPECTION_OPTIONS))).toBe(null);
  });

  it('counts every ofType hop when introspection is off', () => {
    expect(breach(getIntrospectionQuery(), PRODUCTION)).toMatch(/too complex|too deep/);
  });

  it('counts ofType in an operation that also selects a field of ours', () => {
    const smuggled = `{ profile { sub } __schema { types { fields { type { ${ofTypeChain(10)} } } } } }`;
    expect(breach(smuggled)).toMatch(/^Query too deep: depth 15/);
    const throughFragment = `query { ...Mine __schema { types { fields { type { ${ofTypeChain(10)} } } } } }
      fragment Mine on Query { profile { sub } }`;
    expect(breach(throughFragment)).toMatch(/^Query too deep/);
    expect(breach(`{ __schema { types { fields { type { ${ofTypeChain(10)} } } } } }`)).toBe(null);
  });

  it('keeps the depth limit on the lists an introspection query nests', () => {
    const lists =
      '{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }';
    expect(breach(lists)).toMatch(/^Query too deep: depth 9 is over the limit of 8/);
  });

  it('keeps the alias and field limits on introspection queries', () => {
    const aliased = Array.from({ length: 16 }, (_, i) => `t${i}: types { name }`).join(' ');
    expect(breach(`{ __schema { ${aliased} } }`)).toMatch(/^Too many aliases: at most 15/);
    const names = Array.from({ length: 201 }, () => 'name').join(' ');
    expect(breach(`{ __schema { types { ${names} } } }`)).toMatch(/^Query too complex/);
  });

  it('counts fields through fragments, each fragment measured once', () => {
    // Each fragment spreads the next ten times: the document stands for 10^6 fields.
    const fragments = Array.from(
      { length: 6 },
      (_, i) =>
        `fragment F${i} on TokenStatus { ${Array(10)
          .fill(`...F${i + 1}`)
          .join(' ')} }`,
    ).join('\n');
    const document = `{ tokenStatus { ...F0 } } ${fragments} fragment F6 on TokenStatus { state }`;
    expect(breach(document)).toBe('Query too complex: at most 200 fields per operation');
    expect(breach(document, { ...DEVELOPMENT, maxFields: 2_000_000 })).toBe(null);
    // Spreads of fragments that select nothing known expand to nothing, however many.
    const empty = document.replace('fragment F6 on TokenStatus { state }', '');
    expect(breach(empty)).toBe(null);
  });

  it('measures every operation of a document', () => {
    const aliased = Array.from({ length: 16 }, (_, i) => `m${i}: me { id }`).join(' ');
    expect(breach(`query Small { me { id } } query Big { ${aliased} }`)).toMatch(
      /Too many aliases/,
    );
  });

  it('accepts an ordinary query', () => {
    expect(breach('{ me { id email } tokenStatus { state scopes } }')).toBe(null);
  });
});
