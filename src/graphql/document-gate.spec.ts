import { describe, expect, it } from '@jest/globals';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { checkDocument, documentGate } from './document-gate.js';
import { maxTokensFor, type QueryLimits } from './query-limits.js';

const LIMITS: QueryLimits = {
  maxDepth: 8,
  maxAliases: 15,
  maxFields: 200,
  maxTokens: maxTokensFor(200),
  introspection: true,
};

describe('checkDocument', () => {
  it('refuses a 64 KiB document of repeated fields at the token cap', () => {
    const flood = `{${'me{email} me{id} '.repeat(3760)}}`;
    expect(flood.length).toBeGreaterThan(60_000);
    expect(checkDocument(flood, LIMITS)).toEqual({
      message: 'Document too large: at most 2000 tokens',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('refuses a syntax error itself, with where it is', () => {
    expect(checkDocument('{ me { id }', LIMITS)).toEqual({
      message: 'Syntax Error: Expected Name, found <EOF>.',
      locations: [{ line: 1, column: 12 }],
      extensions: { code: 'BAD_USER_INPUT' },
    });
    // Mercurius would retry a document that does not parse as a JSON-encoded syntax tree.
    const jsonTree = JSON.stringify({ kind: 'Document', definitions: [] });
    expect(checkDocument(jsonTree, LIMITS)?.message).toMatch(/^Syntax Error/);
  });

  it('refuses a document over a limit', () => {
    const fields = Array.from({ length: 201 }, () => 'state').join(' ');
    expect(checkDocument(`{ tokenStatus { ${fields} } }`, LIMITS)).toEqual({
      message: 'Query too complex: at most 200 fields per operation',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('lets a document within the limits through', () => {
    expect(checkDocument('{ me { id } }', LIMITS)).toBe(null);
  });
});

describe('documentGate', () => {
  /** What the gate answered for `query` sent as a POST body: the refusal's status, or 'passed'. */
  async function gate(check: ReturnType<typeof documentGate>, query: string): Promise<unknown> {
    let status: unknown = 'passed';
    const reply = {
      code: (code: number) => ({ send: () => Promise.resolve((status = code)) }),
    };
    await check(
      { method: 'POST', body: { query } } as unknown as FastifyRequest,
      reply as unknown as FastifyReply,
    );
    return status;
  }

  it('refuses a document over a limit every time it comes, and passes a good one every time', async () => {
    const check = documentGate({ ...LIMITS, maxDepth: 2 });
    const tooDeep = '{ a { b { c { d } } } }';
    const good = '{ me { email } }';
    expect([await gate(check, tooDeep), await gate(check, good)]).toEqual([400, 'passed']);
    expect([await gate(check, tooDeep), await gate(check, good)]).toEqual([400, 'passed']);
  });
});
