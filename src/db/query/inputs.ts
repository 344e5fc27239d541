/**
 * Binds the query's inputs: the entries of `in` other than `$` take the input values in order,
 * except named sources given by name. Sources become the query's sources; a scalar input holding
 * a function becomes a function input (callable as `[(?f ...)]`); every other input is joined
 * into the relation evaluation starts from.
 */
import { bindingJson, type InputBinding } from './ast.js';
import { binder } from './evaluate.js';
import { queryError } from './query-error.js';
import { join, Relation } from './relation.js';
import { isDatabase, type QuerySource, type Source } from './source.js';

export type InputFunction = (...args: unknown[]) => unknown;

export interface BoundInputs {
  readonly context: Relation;
  /** The `%` input, if declared. */
  readonly rules: unknown;
  /** Every source by name, `$` included. */
  readonly sources: ReadonlyMap<string, Source>;
  /** Function inputs by variable. */
  readonly functions: ReadonlyMap<string, InputFunction>;
  /** Scalar inputs by variable (a pull pattern may be one). */
  readonly scalars: ReadonlyMap<string, unknown>;
}

export function bindInputs(
  bindings: readonly InputBinding[],
  inputs: readonly unknown[],
  $: QuerySource,
  named: ReadonlyMap<string, Source> = new Map(),
): BoundInputs {
  const expected = bindings.filter((b) => b.kind !== 'source' || (b.name !== '$' && !named.has(b.name)));
  if (expected.length !== inputs.length) {
    throw queryError(
      `the query takes ${expected.length} inputs besides $${named.size > 0 ? ' and the named sources' : ''}, got ${inputs.length}`,
      bindingsJson(bindings),
    );
  }
  const sources = new Map<string, Source>([['$', $], ...named]);
  const functions = new Map<string, InputFunction>();
  const scalars = new Map<string, unknown>();
  let context = Relation.unit();
  let rules: unknown;
  expected.forEach((binding, i) => {
    const input = inputs[i];
    if (binding.kind === 'rules') rules = input;
    else if (binding.kind === 'source') sources.set(binding.name, checkedSource(binding.name, input));
    else if (binding.kind === 'scalar' && typeof input === 'function')
      functions.set(binding.name, input as InputFunction);
    else {
      if (binding.kind === 'scalar') scalars.set(binding.name, input);
      const bind = binder(Relation.unit(), binding, bindingsJson([binding]));
      bind.add(0, input);
      context = join(context, bind.out);
    }
  });
  return { context, rules, sources, functions, scalars };
}

function checkedSource(name: string, input: unknown): Source {
  if (isDatabase(input) || (Array.isArray(input) && input.every(Array.isArray))) return input as Source;
  throw queryError(
    `source ${name} must be a database (a view) or a collection of tuples, got ${JSON.stringify(input)?.slice(0, 100)}`,
    name,
  );
}

function bindingsJson(bindings: readonly InputBinding[]): unknown {
  return bindings.map((b) => (b.kind === 'source' ? b.name : b.kind === 'rules' ? '%' : bindingJson(b)));
}
