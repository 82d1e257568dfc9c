export { createRuleEngine } from './engine';
export type { RuleEngine, RuleOutcome } from './engine';
export {
  RuleFileSchema,
  RuleSchema,
  ThresholdRuleSchema,
  RateRuleSchema,
  AbsenceRuleSchema,
  AqiRuleSchema,
  CompositeRuleSchema,
  ThresholdRefSchema,
  parseRuleFile,
} from './schema';
export type { RuleFile, Rule, ThresholdRule, RateRule, AbsenceRule, AqiRule, CompositeRule, ThresholdRef } from './schema';
export { loadRuleFiles } from './load';
export { DeviceRuleStateSchema, SiteRuleStateSchema, LIMITS } from './state';
export type { DeviceRuleState, SiteRuleState } from './state';
export { computeAqi, aqiBand, aqiVersionAt, AQI_INDICATORS, HJ633_2026_FROM } from './aqi';
export type { AqiIndicator, AqiVersion, AqiReport, AqiResult, AqiBand } from './aqi';
export { deriveMeans, tickMeans, newMeansState, derivesMeans, MeansStateSchema, MEAN_POLLUTANTS, VALIDITY, CLOSE_GRACE_MS } from './means';
export type { MeansState, MeansOutcome, MeanPollutant } from './means';
