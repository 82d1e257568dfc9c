import { DEVICE_KINDS, type DeviceKind, type PayloadFormat } from '@ganzhi/schemas';
import { crc16Modbus, hex4 } from '@ganzhi/codecs';
import { hashSecret, type RegistryFile } from '@ganzhi/registry';
import { stationOf } from '../encode';
import { uitdAddressOf } from '../gbt26875';
import { createRng } from '../rng';
import type { ScenarioDevice } from '../scenario/schema';

/*
 * Devices for load runs: N devices spread evenly over the four kinds, with plausible per-device
 * attributes, a share of them speaking the Chinese protocols (SL 651 gauges, HJ 212 air
 * monitors), and with `linkShare` some of those on the protocol listeners instead of MQTT (HJ 212
 * data loggers, SL 651 RTUs in HEX or ASCII mode, GB/T 26875.3 UITDs). Pure and deterministic for
 * a seed; `generateRegistry` adds the scrypt hashes.
 */

export interface LoadDeviceOptions {
  /** Total devices, spread over the four kinds (the first kinds get one more when N % 4 != 0). */
  readonly devices: number;
  readonly prefix?: string;
  /** Fraction of gauges on SL 651 and of air monitors on HJ 212 (default 0.1). */
  readonly protocolShare?: number;
  /**
   * Fraction of the HJ 212 air monitors and of the SL 651 gauges that connect to the HJ 212 / SL 651
   * TCP listeners instead of MQTT, and of the fire sensors that are fire-panel UITDs on GB/T
   * 26875.3 over TCP (default 0).
   */
  readonly linkShare?: number;
  readonly seed?: number;
}

const SHORT: Readonly<Record<DeviceKind, string>> = { river_gauge: 'gauge', air_monitor: 'air', fire_sensor: 'fire', port_device: 'port' };
const INTERVAL: Readonly<Record<DeviceKind, number>> = { river_gauge: 300, air_monitor: 300, fire_sensor: 600, port_device: 60 };

/** The generated devices, as scenario devices (the load runner drives them with the same models). */
export function loadDevices(options: LoadDeviceOptions): ScenarioDevice[] {
  const n = options.devices;
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new RangeError(`devices must be an integer 1..1000000: ${n}`);
  const prefix = options.prefix ?? 'load';
  const share = options.protocolShare ?? 0.1;
  const linkShare = options.linkShare ?? 0;
  // no draw when there are no links, so that seeds give the same devices as before
  const linked = () => linkShare > 0 && rng.chance(linkShare);
  const rng = createRng(options.seed ?? 1, 'load-devices');
  // RTUs draw from a stream of their own, so that the other devices of a seed stay as they were;
  // every second one speaks ASCII mode
  const rtuRng = createRng(options.seed ?? 1, 'load-rtus');
  const width = String(Math.ceil(n / 4)).length;
  const out: ScenarioDevice[] = [];
  for (let i = 0; i < n; i++) {
    const kind = DEVICE_KINDS[i % 4]!;
    const index = Math.floor(i / 4) + 1;
    const id = `${prefix}-${SHORT[kind]}-${String(index).padStart(Math.max(4, width), '0')}`;
    const protocol = rng.chance(share);
    let format: PayloadFormat = 'json';
    let attributes: ScenarioDevice['attributes'] = {};
    const params: ScenarioDevice['params'] = {};
    switch (kind) {
      case 'river_gauge': {
        const warning = Math.round(rng.uniform(4, 16) * 10) / 10;
        attributes = { warningLevel: warning, guaranteedLevel: Math.round((warning + 1.5) * 10) / 10, historicalMax: Math.round((warning + 2.6) * 10) / 10 };
        if (protocol) {
          format = 'sl651';
          if (linkShare > 0 && rtuRng.chance(linkShare)) {
            attributes = { ...attributes, transport: 'tcp', station: stationOf({ id, kind, format, attributes: {} }), ...(index % 2 === 0 ? { sl651Encoding: 'ascii' } : {}) };
          }
        }
        break;
      }
      case 'air_monitor':
        if (protocol) {
          format = 'hj212';
          attributes = linked() ? { crc: 'hj212', transport: 'tcp', mn: id.replace(/[;,&=]/g, '_') } : { crc: 'hj212' };
        }
        params.pm25 = Math.round(rng.uniform(15, 45));
        break;
      case 'fire_sensor':
        attributes = { minStaticPressure: 0.1 };
        params.sensors = rng.pick([['smoke', 'heat', 'battery'], ['hydrant', 'sprinkler'], ['electrical']]);
        if (linked()) {
          format = 'gbt26875';
          attributes = { ...attributes, address: uitdAddressOf({ id, kind, format, attributes: {} }), peers: '127.0.0.1,::1' };
          params.sensors = ['smoke', 'heat', 'hydrant'];
        }
        break;
      case 'port_device':
        params.sensors = rng.pick([['wind', 'crane'], ['reefer']]);
        break;
      default: {
        const never: never = kind;
        throw new Error(`unknown kind ${String(never)}`);
      }
    }
    out.push({ id, kind, format, intervalSec: INTERVAL[kind], attributes, params });
  }
  return out;
}

/**
 * The password a device of a load registry has: the template's, except for an SL 651 RTU on the
 * TCP listener, whose frames carry a password of 4 hex digits: those of the template's password
 * (CRC-16 of it when it is not 4 hex digits already).
 */
export function loadPassword(device: Pick<ScenarioDevice, 'format' | 'attributes'>, password: string): string {
  if (device.format !== 'sl651' || device.attributes?.transport !== 'tcp' || /^[0-9A-Fa-f]{4}$/.test(password)) return password;
  return hex4(crc16Modbus(Buffer.from(password, 'utf8'), 0, Buffer.byteLength(password)));
}

/** Low-cost scrypt for generated load registries: 1000 devices authenticate in about a second. */
export const LOAD_SCRYPT = { N: 1024, r: 8, p: 1 } as const;

export interface GenerateRegistryOptions extends LoadDeviceOptions {
  /** Password of each device: the template with `{id}` replaced (default `demo-{id}`). */
  readonly passwordTemplate?: string;
  readonly scrypt?: { N: number; r: number; p: number };
  /** Devices (with the device models they name) and operators copied as they are (e.g. the demo registry, so scenarios and operators work). */
  readonly include?: Pick<RegistryFile, 'devices' | 'operators' | 'models'>;
  /** Called after each hash (progress). */
  readonly onHashed?: (done: number, total: number) => void;
}

/**
 * A registry document for the pipeline (GANZHI_REGISTRY_FILE) with the load devices. Marked
 * `demo: true`: its passwords follow a public template, so it is for test benches only.
 */
export async function generateRegistry(options: GenerateRegistryOptions): Promise<RegistryFile & { _comment: string; _generated: LoadDeviceOptions }> {
  const devices = loadDevices(options);
  const template = options.passwordTemplate ?? 'demo-{id}';
  const params = options.scrypt ?? LOAD_SCRYPT;
  const secrets: string[] = new Array(devices.length);
  let done = 0;
  let next = 0;
  // A few hashes at a time: scrypt runs on the libuv pool (4 threads by default).
  const worker = async () => {
    for (let i = next++; i < devices.length; i = next++) {
      secrets[i] = await hashSecret(loadPassword(devices[i]!, template.replaceAll('{id}', devices[i]!.id)), params);
      options.onHashed?.(++done, devices.length);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return {
    _comment: `LOAD-TEST REGISTRY generated by \`npm run sim -- gen-registry\`: passwords follow the public template "${template}" and are hashed with low scrypt cost (N=${params.N}). Never deploy it.`,
    /** How the load devices were made: `sim load --registry <file>` makes the same ones again. */
    _generated: { devices: options.devices, prefix: options.prefix ?? 'load', protocolShare: options.protocolShare ?? 0.1, ...(options.linkShare ? { linkShare: options.linkShare } : {}), seed: options.seed ?? 1 },
    demo: true,
    ...(options.include?.models ? { models: options.include.models } : {}),
    devices: [
      ...(options.include?.devices ?? []),
      ...devices.map((d, i) => ({
        id: d.id,
        kind: d.kind,
        site: `${SHORT[d.kind]}-site-${String(Math.floor(i / 40) + 1).padStart(3, '0')}`,
        format: d.format,
        secret: secrets[i]!,
        reportIntervalSec: d.intervalSec ?? INTERVAL[d.kind],
        attributes: d.attributes,
      })),
    ],
    operators: [...(options.include?.operators ?? [])],
  };
}
