import {
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxFields: number;
  /** Lexer tokens per document: the parser stops there, so an oversized document costs little. */
  maxTokens: number;
  /** Outside production the schema may be introspected (the playground's Docs pane and completion). */
  introspection: boolean;
}

/**
 * Each field costs about one token for its name and a few for braces, aliases and arguments; ten
 * per allowed field leaves room for any document the field limit accepts, and never less than
 * an IDE's introspection query needs (about 180 tokens).
 */
export function maxTokensFor(maxFields: number): number {
  return Math.max(1000, maxFields * 10);
}

interface Cost {
  fields: number;
  aliases: number;
  depth: number;
}

const NO_COST: Cost = { fields: 0, aliases: 0, depth: 0 };

/** Root fields an introspection query may select; none of them reaches a resolver of ours. */
const INTROSPECTION_ROOTS = new Set(['__schema', '__type', '__typename']);

/**
 * The first limit `document` breaks, as a message for the client, or null when it fits. One walk
 * per operation, fragments measured once each, so the check costs no more than the document's size.
 */
export function findLimitBreach(document: DocumentNode, limits: QueryLimits): string | null {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
    else if (definition.kind === Kind.OPERATION_DEFINITION) operations.push(definition);
  }
  const measures = [false, true].map((freeOfType) => new CostMeasure(fragments, freeOfType));
  for (const operation of operations) {
    const introspection = limits.introspection && isIntrospectionOnly(operation, fragments);
    const cost = measures[introspection ? 1 : 0].selectionSet(operation.selectionSet);
    if (cost.aliases > limits.maxAliases)
      return `Too many aliases: at most ${limits.maxAliases} per operation`;
    if (cost.fields > limits.maxFields)
      return `Query too complex: at most ${limits.maxFields} fields per operation`;
    if (cost.depth > limits.maxDepth)
      return `Query too deep: depth ${cost.depth} is over the limit of ${limits.maxDepth}`;
  }
  return null;
}

/**
 * Fields (fragments expanded), aliases and depth of selection sets. In an introspection query
 * `ofType` is free: it unwraps a list or non-null type, so its chain ends after the few wrappers
 * a type has, whatever the document asks. GraphiQL's query nests it eight times.
 */
class CostMeasure {
  private readonly fragmentCosts = new Map<string, Cost>();

  constructor(
    private readonly fragments: Map<string, FragmentDefinitionNode>,
    private readonly freeOfType: boolean,
  ) {}

  selectionSet(selectionSet: SelectionSetNode): Cost {
    const total = { ...NO_COST };
    for (const selection of selectionSet.selections) {
      let cost: Cost;
      if (selection.kind === Kind.FIELD) {
        const inner = selection.selectionSet ? this.selectionSet(selection.selectionSet) : NO_COST;
        const counted = this.freeOfType && selection.name.value === 'ofType' ? 0 : 1;
        cost = {
          fields: inner.fields + counted,
          aliases: inner.aliases + (selection.alias ? 1 : 0),
          depth: inner.depth + counted,
        };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost = this.selectionSet(selection.selectionSet);
      } else {
        cost = this.fragment(selection.name.value);
      }
      total.fields += cost.fields;
      total.aliases += cost.aliases;
      total.depth = Math.max(total.depth, cost.depth);
    }
    return total;
  }

  private fragment(name: string): Cost {
    const known = this.fragmentCosts.get(name);
    if (known) return known;
    const fragment = this.fragments.get(name);
    // Unknown and cyclic fragments cost nothing here; validation refuses them.
    this.fragmentCosts.set(name, NO_COST);
    if (!fragment) return NO_COST;
    const cost = this.selectionSet(fragment.selectionSet);
    this.fragmentCosts.set(name, cost);
    return cost;
  }
}

/** A query whose root fields, through any fragments, are all introspection fields. */
function isIntrospectionOnly(
  operation: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
): boolean {
  if (operation.operation !== OperationTypeNode.QUERY) return false;
  const visited = new Set<string>();
  const rootsAreIntrospection = (selectionSet: SelectionSetNode): boolean =>
    selectionSet.selections.every((selection) => {
      if (selection.kind === Kind.FIELD) return INTROSPECTION_ROOTS.has(selection.name.value);
      if (selection.kind === Kind.INLINE_FRAGMENT)
        return rootsAreIntrospection(selection.selectionSet);
      const fragment = fragments.get(selection.name.value);
      if (!fragment) return false;
      if (visited.has(fragment.name.value)) return true;
      visited.add(fragment.name.value);
      return rootsAreIntrospection(fragment.selectionSet);
    });
  return rootsAreIntrospection(operation.selectionSet);
}
