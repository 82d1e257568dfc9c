// Scenario files
export {
  ScenarioSchema,
  ScenarioDeviceSchema,
  EventSchema,
  ExpectedAlertSchema,
  AllowedAlertSchema,
  DurationSchema,
  GradeSchema,
  DEFAULT_INTERVAL_SEC,
  EVENT_KINDS,
  FAULT_VARIANTS,
  eventTime,
  targets,
} from './scenario/schema';
export type { Scenario, ScenarioInput, ScenarioDevice, ScenarioEvent, ExpectedAlert, AllowedAlert, MalformedVariant } from './scenario/schema';
export { parseScenario, loadScenarioFile, listScenarioFiles } from './scenario/load';

// Pure cores: models, planning, payloads, comparison
export { createRng, createDrift } from './rng';
export type { Rng, Drift } from './rng';
export { parseDuration, formatDuration } from './duration';
export { createModel, createRiverGaugeModel, createAirMonitorModel, createFireSensorModel, createPortDeviceModel } from './models';
export type { DeviceModel, ModelInit, Sample } from './models';
export { encodePayload, malform, stationOf, mnOf } from './encode';
export type { Payload, EncodeInput } from './encode';
export { planScenario, planCounts } from './plan';
export type { Action, Plan, PlanOptions } from './plan';
export { compareAlerts, compareScenario, occurrencesOf, expectationsOf, formatComparison } from './compare';
export type { Comparison, Expectation, Occurrence } from './compare';

// Running against a gateway
export { executePlan, realtimePacer, fastPacer, steppedPacer } from './run/execute';
export type { Pacer, ExecuteOptions, ExecuteResult, RunProgress } from './run/execute';
export { createFleet, telemetryTopic, statusTopic, passwordFrom, DEFAULT_PASSWORD_TEMPLATE } from './run/fleet';
export type { Fleet, FleetOptions, FleetStats } from './run/fleet';
export { watchAlerts } from './run/watch';
export type { AlertWatcher } from './run/watch';
export { runScenario, scenarioFleet } from './run/scenario';
export { createLinkFleet, mixFleets, linkOf } from './run/links';
export type { LinkDevice, LinkFleet, LinkPorts, LinkFleetOptions, LinkTransport } from './run/links';
export { encodeFireGbt26875, uitdAddressOf } from './gbt26875';
export type { RunScenarioOptions, ScenarioRun } from './run/scenario';
export { progressText, createProgress } from './run/progress';

// Load, registries, recordings
export { loadDevices, generateRegistry, loadPassword, LOAD_SCRYPT } from './load/devices';
export type { LoadDeviceOptions, GenerateRegistryOptions } from './load/devices';
export { runLoad } from './load/run';
export type { LoadOptions, LoadResult } from './load/run';
export { percentiles } from './load/stats';
export type { Percentiles } from './load/stats';
export { parseRecording, replayPlan, shiftJsonTs, encodeRecordedPayload, decodeRecordedPayload, RecordedMessageSchema, RecordingHeaderSchema } from './record/format';
export type { Recording, RecordedMessage, RecordingHeader, ReplayOptions } from './record/format';
export { recordTraffic } from './record/record';
export type { RecordOptions } from './record/record';
