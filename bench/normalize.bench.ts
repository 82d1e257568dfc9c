import { bench, describe } from 'vitest';
import type { DeviceKind, PayloadFormat, RawEnvelope } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import { decodeHj212, encodeHj212, encodeSl651, normalize } from '@ganzhi/codecs';

// Run: npx vitest bench --run --project unit bench/normalize.bench.ts

const NOW = Date.UTC(2024, 5, 1, 4, 0, 0);

function device(kind: DeviceKind, format: PayloadFormat): Device {
  return { id: 'dev-1', kind, site: 'site-a', format, secret: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==', reportIntervalSec: 300, attributes: {} };
}

function envelope(kind: DeviceKind, format: PayloadFormat, payload: string, encoding: 'utf8' | 'base64' = 'utf8'): RawEnvelope {
  return { id: 'env-1', deviceId: 'dev-1', kind, format, topic: 'devices/dev-1/telemetry', receivedAt: NOW, encoding, payload };
}

const json: Record<DeviceKind, string> = {
  river_gauge: JSON.stringify({ ts: NOW, seq: 1, waterLevel: 3.42, rainfall: 1.5, rain1h: 4.2, batteryV: 12.6 }),
  air_monitor: JSON.stringify({ ts: NOW, pm25: 35, pm10: 60, so2: 8, no2: 30, o3: 120, co: 0.8, temperature: 21.5, humidity: 55 }),
  fire_sensor: JSON.stringify({ ts: NOW, smoke: false, residualCurrent: 120, cableTemperature: 41, battery: 90, sensorType: 'electrical' }),
  port_device: JSON.stringify({ ts: NOW, windSpeed: 14.2, windGust: 21, windDirection: 135, craneState: 'operating' }),
};

const hj212 = encodeHj212({
  QN: '20240601120000123',
  ST: '22',
  CN: '2011',
  PW: '123456',
  MN: '010000A8900016F000169DC0',
  Flag: 5,
  cp: {
    fields: { DataTime: '20240601120000' },
    pollutants: {
      a34004: { Rtd: 35, Flag: 'N' },
      a34002: { Rtd: 60, Flag: 'N' },
      a21026: { Rtd: 8, Flag: 'N' },
      a21004: { Rtd: 30, Flag: 'N' },
      a21005: { Rtd: 0.8, Flag: 'N' },
      a05024: { Rtd: 120, Flag: 'N' },
    },
  },
});

const sl651 = encodeSl651({
  centre: 1,
  station: '0012345678',
  password: '1234',
  funcCode: 0x32,
  serial: 1,
  sendTime: NOW,
  groups: [{ obsTime: NOW, elements: [{ id: 'Z', value: 3.21 }, { id: 'PJ', value: 12.5 }, { id: 'VT', value: 12.6 }] }],
});

describe('normalize() JSON per kind', () => {
  for (const kind of Object.keys(json) as DeviceKind[]) {
    const raw = envelope(kind, 'json', json[kind]);
    const dev = device(kind, 'json');
    bench(kind, () => {
      if (!normalize(raw, dev).ok) throw new Error('bench input must normalize');
    });
  }
});

describe('HJ 212', () => {
  bench('decodeHj212 (frame + CP parse + CRC)', () => {
    if (!decodeHj212(hj212).ok) throw new Error('bench input must decode');
  });
  const raw = envelope('air_monitor', 'hj212', hj212);
  const dev = device('air_monitor', 'hj212');
  bench('normalize() air monitor 2011 frame', () => {
    if (!normalize(raw, dev).ok) throw new Error('bench input must normalize');
  });
});

describe('SL 651', () => {
  const raw = envelope('river_gauge', 'sl651', Buffer.from(sl651).toString('base64'), 'base64');
  const dev = device('river_gauge', 'sl651');
  bench('normalize() river gauge 32H timed report (base64)', () => {
    if (!normalize(raw, dev).ok) throw new Error('bench input must normalize');
  });
});
