/** Binds the query's inputs (everything in `in` but `$`) into the relation evaluation starts from. */
import type { InputBinding } from './ast.js';
import { binder } from './evaluate.js';
import { queryError } from './query-error.js';
import { join, Relation } from './relation.js';

export interface BoundInputs {
  readonly context: Relation;
  /** The `%` input, if declared. */
  readonly rules: unknown;
}

export function bindInputs(bindings: readonly InputBinding[], inputs: readonly unknown[]): BoundInputs {
  const expected = bindings.filter((b) => b.kind !== 'source');
  if (expected.length !== inputs.length) {
    throw queryError(
      `the query takes ${expected.length} inputs besides $, got ${inputs.length}`,
      bindingsJson(bindings),
    );
  }
  let context = Relation.unit();
  let rules: unknown;
  expected.forEach((binding, i) => {
    if (binding.kind === 'rules') rules = inputs[i];
    else {
      const bind = binder(Relation.unit(), binding, bindingsJson([binding]));
      bind.add(0, inputs[i]);
      context = join(context, bind.out);
    }
  });
  return { context, rules };
}

function bindingsJson(bindings: readonly InputBinding[]): unknown {
  return bindings.map((b) => {
    switch (b.kind) {
      case 'source':
        return '$';
      case 'rules':
        return '%';
      case 'scalar':
        return b.name;
      case 'collection':
        return [b.name, '...'];
      case 'tuple':
        return b.names.map((n) => n ?? '_');
      case 'relation':
        return [b.names.map((n) => n ?? '_')];
    }
  });
}
