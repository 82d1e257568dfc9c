import parsePrometheusTextFormat, { type PromFamily, type PromSample } from 'parse-prometheus-text-format';
import { parser } from '@prometheus-io/lezer-promql';

/** A scraped exposition, parsed with an npm Prometheus text-format parser. */
export interface Scrape {
  families: Map<string, PromFamily>;
  /** Every series name a PromQL selector may use (histograms add _bucket, _sum, _count). */
  names: Set<string>;
  /** Samples of `name` whose labels include `labels` (a histogram's: `name_bucket`, `name_count`…). */
  find(name: string, labels?: Record<string, string>): PromSample[];
  /** The one value of a counter or gauge series (undefined when absent). */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  if (!/^text\/plain; version=0\.0\.4/.test(res.headers.get('content-type') ?? '')) throw new Error(`unexpected content type ${res.headers.get('content-type')}`);
  const text = await res.text();
  const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  // The parser folds a labelled histogram's series into one (it keys buckets by `le` only), so
  // histograms are read a second time as untyped: every _bucket, _sum and _count line with its labels.
  const series = new Map<string, PromSample[]>();
  for (const f of parsePrometheusTextFormat(text.replace(/^(# TYPE \S+) histogram$/gm, '$1 untyped'))) {
    if (!f.metrics.length) continue;
    series.set(f.name, [...(series.get(f.name) ?? []), ...f.metrics]);
  }
  const names = new Set<string>();
  for (const f of families.values()) {
    names.add(f.name);
    if (f.type === 'HISTOGRAM') for (const s of ['_bucket', '_sum', '_count']) names.add(f.name + s);
    if (f.type === 'SUMMARY') for (const s of ['_sum', '_count']) names.add(f.name + s);
  }
  const find = (name: string, labels: Record<string, string> = {}) =>
    (families.get(name)?.type === 'HISTOGRAM' ? [] : (families.get(name)?.metrics ?? series.get(name) ?? [])).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return {
    families,
    names,
    find,
    value(name, labels) {
      const [m] = find(name, labels);
      return m?.value === undefined ? undefined : Number(m.value);
    },
  };
}

/**
 * The metric names a PromQL expression selects, from the lezer PromQL grammar Prometheus' own UI
 * uses. Grafana's variables are replaced by plain values first; a syntax error throws.
 */
export function metricNames(expr: string): string[] {
  const text = expr
    .replace(/\$__(rate_interval|interval|range)/g, '5m')
    .replace(/\$\{?[A-Za-z_]+\}?/g, 'x');
  const tree = parser.parse(text);
  const names: string[] = [];
  let error: string | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError) error ??= `PromQL syntax error at ${node.from} in: ${text}`;
      if (node.name === 'VectorSelector') {
        const id = node.node.getChild('Identifier');
        if (id) names.push(text.slice(id.from, id.to));
      }
    },
  });
  if (error) throw new Error(error);
  return names;
}
