/** Query: a Datalog editor (EDN or JSON), results as a table, the plan from explain, errors as the API gives them. */
import { useState } from 'preact/hooks';
import { ApiError, api, type Basis, type ErrorBody } from '../api.js';

const examples: Record<string, string> = {
  'Markets and names': '[:find ?id ?name :where [?m :market/id ?id] [(get-else $ ?m :market/name "") ?name]]',
  'Ticks per market': '[:find ?id (count ?t) :where [?t :tick/market ?m] [?m :market/id ?id]]',
  'Highest price per market':
    '[:find ?id (max ?p) :where [?t :tick/market ?m] [?m :market/id ?id] [?t :tick/price ?p]]',
  'Reflexes (JSON form)': JSON.stringify({
    find: ['?id', '?mid'],
    where: [
      ['?r', 'reflex/id', '?id'],
      ['?r', 'reflex/market', '?m'],
      ['?m', 'market/id', '?mid'],
    ],
  }),
};

interface PlanStep {
  clause: unknown;
  kind: string;
  index?: string;
  join?: string;
  estimatedRows: number;
}

/** A query given as JSON goes as JSON; anything else goes as EDN text. */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const cell = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export function Query({ asOf }: { asOf: string | undefined }) {
  const [text, setText] = useState(Object.values(examples)[0]!);
  const [rows, setRows] = useState<unknown[][]>();
  const [plan, setPlan] = useState<PlanStep[]>();
  const [basis, setBasis] = useState<Basis>();
  const [error, setError] = useState<{ message: string; clause?: string; detail?: string }>();

  const call = async (path: string) => {
    try {
      const r = await api<Basis & { result?: unknown; plan?: { steps: PlanStep[] } }>(path, {
        method: 'POST',
        body: { query: parsed(text), as_of: asOf },
      });
      setBasis(r);
      setError(undefined);
      if (r.plan) setPlan(r.plan.steps);
      else {
        const result = r.result;
        setRows(Array.isArray(result) ? result.map((row) => (Array.isArray(row) ? row : [row])) : [[result]]);
        setPlan(undefined);
      }
    } catch (e) {
      const body = e instanceof ApiError ? e.body : undefined;
      const { error: _e, code: _c, clause, ...detail } = body ?? ({} as Partial<ErrorBody>);
      setError({
        message: (e as Error).message,
        clause: clause === undefined ? undefined : cell(clause),
        detail: Object.keys(detail).length > 0 ? JSON.stringify(detail) : undefined,
      });
    }
  };

  return (
    <section>
      <h2>Query</h2>
      <label>
        example{' '}
        <select onChange={(e) => setText(examples[(e.target as HTMLSelectElement).value]!)}>
          {Object.keys(examples).map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
      </label>
      <textarea
        rows={5}
        value={text}
        onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
        data-testid="query-text"
        spellcheck={false}
      />
      <div>
        <button type="button" onClick={() => call('/v2/query')} data-testid="query-run">
          Run
        </button>{' '}
        <button type="button" onClick={() => call('/v2/query/explain')}>
          Explain
        </button>
        {basis && (
          <span class="hint">
            {' '}
            as of tx {basis.basis_tx} {basis.basis_instant ?? ''}
          </span>
        )}
      </div>
      {error && (
        <div class="error" data-testid="query-error">
          {error.message}
          {error.clause && (
            <p>
              at clause <code data-testid="query-error-clause">{error.clause}</code>
            </p>
          )}
          {error.detail && <pre>{error.detail}</pre>}
        </div>
      )}
      {plan && (
        <ol class="plan" data-testid="query-plan">
          {plan.map((step, i) => (
            <li key={i}>
              <code>{cell(step.clause)}</code> — {step.kind}
              {step.index ? `, ${step.index}` : ''}
              {step.join ? `, ${step.join} join` : ''}, about {step.estimatedRows} rows
            </li>
          ))}
        </ol>
      )}
      {rows && !plan && (
        <table data-testid="query-results">
          <tbody>
            {rows.map((row, i) => (
              <tr key={i}>
                {row.map((v, j) => (
                  <td key={j}>{cell(v)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
