/**
 * The checks `promtool check metrics` makes on a text exposition (Prometheus's promlint, as in
 * client_golang's testutil/promlint), for a test: promtool itself is not installed here. Returns
 * one problem per line, `name: what is wrong`; an empty list passes.
 */
const namePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const types = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
/** Units promlint refuses in favour of the base unit (seconds, bytes, ...). */
const nonBaseUnits = [
  'nanoseconds',
  'microseconds',
  'milliseconds',
  'minutes',
  'hours',
  'days',
  'weeks',
  'months',
  'years',
  'kilobytes',
  'megabytes',
  'gigabytes',
  'terabytes',
  'kibibytes',
  'mebibytes',
  'gibibytes',
  'grams',
  'kilograms',
  'millimeters',
  'centimeters',
  'kilometers',
  'fahrenheit',
];
const sampleSuffixes: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count', ''],
};

interface Family {
  help?: string;
  type?: string;
  labels: Set<string>;
}

export function lintExposition(text: string): string[] {
  const problems: string[] = [];
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { labels: new Set() }));
    return f;
  };
  const familyOf = (sample: string) => {
    for (const [name, f] of families) {
      const suffixes = sampleSuffixes[f.type ?? ''] ?? [''];
      if (suffixes.some((suffix) => sample === name + suffix)) return f;
    }
    return undefined;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (kind === 'HELP') family(name).help = rest;
      else if (!types.has(rest)) problems.push(`${name}: unknown type ${JSON.stringify(rest)}`);
      else family(name).type = rest;
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/.exec(line);
    if (!sample) {
      problems.push(`unparsable sample line: ${line}`);
      continue;
    }
    const [, name, labels = '', value] = sample;
    const f = familyOf(name);
    if (f === undefined) problems.push(`${name}: a sample without HELP and TYPE`);
    else for (const label of labels.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) f.labels.add(label[1]);
    // promtool reads values with Go's ParseFloat, which takes NaN and Inf in any case (prom-client
    // writes `Nan`).
    if (Number.isNaN(Number(value)) && !/^[+-]?(nan|inf|infinity)$/i.test(value))
      problems.push(`${name}: value ${JSON.stringify(value)} is not a number`);
  }
  for (const [name, f] of families) {
    const bad = (why: string) => problems.push(`${name}: ${why}`);
    if (!namePattern.test(name)) bad('not a valid metric name (letters, digits and _ only)');
    if (name !== name.toLowerCase()) bad('metric names should be written in snake_case, not camelCase');
    if (!f.help) bad('no help text');
    if (f.type === undefined) bad('no TYPE line');
    if (f.type === 'counter' && !name.endsWith('_total')) bad('counter metrics should have "_total" suffix');
    if (f.type !== 'counter' && name.endsWith('_total'))
      bad('non-counter metrics should not have "_total" suffix');
    if (f.type !== 'histogram' && f.type !== 'summary' && /_(bucket|count|sum)$/.test(name))
      bad('non-histogram and non-summary metrics should not have "_bucket", "_count" or "_sum" suffix');
    if (f.type !== 'histogram' && f.labels.has('le')) bad('non-histogram metrics should not have "le" label');
    if (f.type !== 'summary' && f.labels.has('quantile'))
      bad('non-summary metrics should not have "quantile" label');
    if (/_(gauge|counter|histogram|summary)(_|$)/.test(name)) bad('metric name should not include type');
    for (const unit of nonBaseUnits) if (name.includes(`_${unit}`)) bad(`use base unit instead of "${unit}"`);
  }
  return problems;
}
