declare module 'parse-prometheus-text-format' {
  /** One sample (counter, gauge, untyped) or one histogram / summary series, prom2json-style. */
  export interface PromSample {
    labels?: Record<string, string>;
    value?: string;
    /** Histograms: upper bound -> cumulative count. */
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  export interface PromFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: PromSample[];
  }
  export default function parsePrometheusTextFormat(text: string): PromFamily[];
}
