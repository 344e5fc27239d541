/** Creates or replaces a reflex; the API's validation messages are shown beside the form. */
import { useState } from 'preact/hooks';
import { ApiError, api, type Reflex } from '../api.js';

const numberOrUndefined = (text: string) => (text.trim() === '' ? undefined : Number(text));

export function ReflexEditor({ market, onSaved }: { market?: string; onSaved: () => void }) {
  const [form, setForm] = useState({
    id: '',
    market: market ?? '',
    attr: 'tick/price',
    above: '',
    below: '',
    cooldown: '',
  });
  const [message, setMessage] = useState<{ ok: boolean; text: string; rows?: string[] }>();
  const field = (name: keyof typeof form) => ({
    value: form[name],
    onInput: (e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value }),
  });

  const save = async (event: Event) => {
    event.preventDefault();
    const reflex: Reflex = {
      id: form.id,
      market: form.market,
      attr: form.attr as Reflex['attr'],
      above: numberOrUndefined(form.above),
      below: numberOrUndefined(form.below),
      cooldown_ms: numberOrUndefined(form.cooldown),
    };
    try {
      const { tx } = await api<{ tx: number }>('/v2/reflexes', { method: 'POST', body: reflex });
      setMessage({ ok: true, text: `saved in tx ${tx}` });
      onSaved();
    } catch (e) {
      const body = e instanceof ApiError ? e.body : undefined;
      setMessage({
        ok: false,
        text: (e as Error).message,
        rows: body?.rows?.map((r) => `${r.field}: ${r.message}`),
      });
    }
  };

  return (
    <form class="reflex-editor" onSubmit={save} data-testid="reflex-editor">
      <h3>Reflex</h3>
      <label>
        id <input name="id" required {...field('id')} />
      </label>
      <label>
        market <input name="market" required {...field('market')} />
      </label>
      <label>
        attribute
        <select name="attr" {...field('attr')}>
          <option value="tick/price">tick/price</option>
          <option value="tick/volume">tick/volume</option>
        </select>
      </label>
      <label>
        above <input name="above" inputMode="decimal" {...field('above')} />
      </label>
      <label>
        below <input name="below" inputMode="decimal" {...field('below')} />
      </label>
      <label>
        cooldown ms <input name="cooldown" inputMode="numeric" {...field('cooldown')} />
      </label>
      <button type="submit">Save reflex</button>
      {message && (
        <div class={message.ok ? 'ok' : 'error'} data-testid="reflex-message">
          {message.text}
          {message.rows && (
            <ul>
              {message.rows.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </form>
  );
}
