import type { ScenarioDevice } from '@ganzhi/simulators';

/**
 * What a load worker needs to play one device: its credentials, topic and a JSON telemetry
 * payload split around `ts` (`{"ts":` + ts + suffix), so that building a message is one string
 * concatenation. Values sit inside every default rule's normal band (no alerts), except the
 * spike a river gauge sends on request: a water level above its historicalMax (red).
 */
export interface DeviceSpec {
  readonly id: string;
  readonly password: string;
  readonly topic: string;
  readonly suffix: string;
  /** River gauges only: the level of a red spike (historicalMax + 0.5 m). */
  readonly spikeLevel?: number;
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

/** The normal telemetry fields of a device (everything after `ts`), as JSON text ending in `}`. */
export function normalSuffix(d: ScenarioDevice): string {
  const attrs = (d.attributes ?? {}) as Record<string, unknown>;
  const params = (d.params ?? {}) as Record<string, unknown>;
  const sensors = Array.isArray(params.sensors) ? (params.sensors as string[]) : [];
  switch (d.kind) {
    case 'river_gauge': {
      const level = num(attrs.warningLevel, 8) - 1;
      return `,"waterLevel":${level.toFixed(2)},"rainfall":0,"rain1h":0,"batteryV":12.6}`;
    }
    case 'air_monitor': {
      const pm25 = num(params.pm25, 30);
      return `,"pm25":${pm25},"pm10":${2 * pm25},"so2":8,"no2":30,"o3":60,"co":0.6,"temperature":21.5,"humidity":55}`;
    }
    case 'fire_sensor':
      if (sensors.includes('hydrant')) return `,"hydrantPressure":0.35,"sprinklerPressure":0.3}`;
      if (sensors.includes('electrical')) return `,"residualCurrent":40,"cableTemperature":35,"sensorType":"electrical"}`;
      return `,"smoke":0.1,"temperature":24,"battery":90,"sensorType":"smoke"}`;
    case 'port_device':
      if (sensors.includes('reefer')) return `,"reeferSupplyTemp":-18.2,"reeferReturnTemp":-16,"reeferSetpoint":-18,"reeferPower":true}`;
      return `,"windSpeed":5.2,"windGust":7.9,"windDirection":135,"craneState":"idle"}`;
    default: {
      const never: never = d.kind;
      throw new Error(`unknown kind ${String(never)}`);
    }
  }
}

export function deviceSpecs(devices: readonly ScenarioDevice[], password: (id: string) => string): DeviceSpec[] {
  return devices.map((d) => {
    const attrs = (d.attributes ?? {}) as Record<string, unknown>;
    const max = attrs.historicalMax;
    return {
      id: d.id,
      password: password(d.id),
      topic: `devices/${d.id}/telemetry`,
      suffix: normalSuffix(d),
      ...(d.kind === 'river_gauge' && typeof max === 'number' ? { spikeLevel: max + 0.5 } : {}),
    };
  });
}

/**
 * Splits devices over `n` workers in blocks of `block` consecutive devices (the generated devices
 * cycle through the four kinds, so each worker gets every kind in the same proportion).
 */
export function shard<T>(items: readonly T[], n: number, block = 4): T[][] {
  const out: T[][] = Array.from({ length: n }, () => []);
  items.forEach((item, i) => out[Math.floor(i / block) % n]!.push(item));
  return out;
}
