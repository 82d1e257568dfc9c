import { overlay } from './delegate';
import type { Metrics } from './metrics';

/** The slice of `RuleEngine` (packages/rules) that is timed; kept structural so metrics does not depend on rules. */
export interface TimedEngine {
  evaluate(...args: never[]): unknown;
  tick(...args: never[]): unknown;
}

/** The rule engine with every evaluation timed (`ganzhi_rule_evaluation_seconds`, by trigger). */
export function instrumentEngine<E extends TimedEngine>(engine: E, metrics: Metrics): E {
  const reading = metrics.ruleEvaluationSeconds.labels({ trigger: 'reading' });
  const tick = metrics.ruleEvaluationSeconds.labels({ trigger: 'tick' });
  const time = <F extends (...args: never[]) => unknown>(fn: F, histogram: typeof reading): F =>
    ((...args: Parameters<F>) => {
      const start = process.hrtime.bigint();
      try {
        return fn.apply(engine, args);
      } finally {
        histogram.observe(Number(process.hrtime.bigint() - start) / 1e9);
      }
    }) as F;
  return overlay(engine, {
    evaluate: time(engine.evaluate as (...args: never[]) => unknown, reading),
    tick: time(engine.tick as (...args: never[]) => unknown, tick),
  });
}
