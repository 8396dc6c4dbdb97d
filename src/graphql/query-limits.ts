import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

function refuse(context: ValidationContext, message: string): void {
  context.reportError(new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } }));
}

/** Refuses documents with more than `max` aliases, the usual way to multiply one costly field. */
export function maxAliasesRule(max: number) {
  return (context: ValidationContext): ASTVisitor => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias && ++aliases === max + 1)
          refuse(context, `Too many aliases: at most ${max} per request`);
      },
    };
  };
}

/**
 * Refuses operations that select more than `max` fields once fragments are expanded, a simple
 * and predictable complexity measure; the check runs before any resolver.
 */
export function maxFieldsRule(max: number) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const definition of context.getDocument().definitions) {
        if (definition.kind === Kind.FRAGMENT_DEFINITION)
          fragments.set(definition.name.value, definition);
      }
      if (countFields(node.selectionSet, fragments, new Set(), max) > max) {
        refuse(context, `Query too complex: at most ${max} fields per operation`);
      }
    },
  });
}

function countFields(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  expanding: Set<string>,
  max: number,
): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (total > max) break;
    if (selection.kind === Kind.FIELD) {
      total +=
        1 +
        (selection.selectionSet
          ? countFields(selection.selectionSet, fragments, expanding, max)
          : 0);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      total += countFields(selection.selectionSet, fragments, expanding, max);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || expanding.has(fragment.name.value)) continue;
      expanding.add(fragment.name.value);
      total += countFields(fragment.selectionSet, fragments, expanding, max);
      expanding.delete(fragment.name.value);
    }
  }
  return total;
}
