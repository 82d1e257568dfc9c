import { SenderOptions, createBuffer } from '@questdb/nodejs-client';
import { describe, expect, it } from 'vitest';
import { alertChange, reading } from '../contract-fixtures';
import { alertRows, readingRows, tablesOf, writeRow, type IlpRow, type IlpSink } from './rows';
import { tableNames } from './sql';

const t = tableNames('p_');

/** The client's own ILP serializer (protocol v1, text), with no transport behind it. */
function ilpText(rows: readonly IlpRow[]): Promise<string> {
  const buffer = createBuffer(new SenderOptions('http::addr=127.0.0.1:9000;protocol_version=1'));
  const sink: IlpSink = {
    table: (n) => (buffer.table(n), sink),
    symbol: (n, v) => (buffer.symbol(n, v), sink),
    floatColumn: (n, v) => (buffer.floatColumn(n, v), sink),
    intColumn: (n, v) => (buffer.intColumn(n, v), sink),
    stringColumn: (n, v) => (buffer.stringColumn(n, v), sink),
    timestampColumn: (n, v, u) => (buffer.timestampColumn(n, v, u ?? 'us'), sink),
    at: async (ts, u) => buffer.at(ts, u ?? 'us'),
  };
  return (async () => {
    for (const r of rows) await writeRow(sink, r);
    return buffer.toBufferView().toString('utf8');
  })();
}

describe('ILP row building', () => {
  it('turns one reading into one row per metric with the device, kind, site, metric, unit and quality as symbols', async () => {
    const r = reading('rg-1', 'river_gauge', 1_700_000_000_000, { site: 'pier-3', values: { water_level: 2.5 }, only: ['water_level', 'flow'], fill: 7 });
    expect(await ilpText(readingRows(t, [r]))).toBe(
      'p_readings,device_id=rg-1,kind=river_gauge,site=pier-3,metric=water_level,unit=m,quality=N value=2.5 1700000000000000000\n' +
        'p_readings,device_id=rg-1,kind=river_gauge,site=pier-3,metric=flow,unit=m3/s,quality=N value=7 1700000000000000000\n',
    );
  });

  it('leaves the site symbol out (NULL) when a reading has none', async () => {
    const text = await ilpText(readingRows(t, [reading('am-1', 'air_monitor', 5, { only: ['pm25'] })]));
    expect(text).toBe('p_readings,device_id=am-1,kind=air_monitor,metric=pm25,unit=ug/m3,quality=N value=1 5000000\n');
  });

  it('keeps only the last occurrence of a (device, metric, ts) within one write', async () => {
    const rows = readingRows(t, [
      reading('rg-1', 'river_gauge', 1000, { only: ['flow'], fill: 5 }),
      reading('rg-1', 'river_gauge', 2000, { only: ['flow'], fill: 1 }),
      reading('rg-1', 'river_gauge', 1000, { only: ['flow'], fill: 6 }),
    ]);
    expect(await ilpText(rows)).toBe(
      'p_readings,device_id=rg-1,kind=river_gauge,metric=flow,unit=m3/s,quality=N value=6 1000000000\n' +
        'p_readings,device_id=rg-1,kind=river_gauge,metric=flow,unit=m3/s,quality=N value=1 2000000000\n',
    );
  });

  it('turns an alert change into one row keyed by event time with the whole change as JSON', () => {
    const c = alertChange('fs-1', 'fire_sensor', 1000, { seq: 2, at: 2000, type: 'upgraded', status: 'open', level: 'orange', reason: 'x' });
    const [row] = alertRows(t, [c, c]);
    expect(alertRows(t, [c, c])).toHaveLength(1);
    expect(row?.table).toBe('p_alert_events');
    expect(row?.tsMs).toBe(2000);
    expect(row?.symbols).toEqual([
      ['device_id', 'fs-1'],
      ['kind', 'fire_sensor'],
      ['site', 'site-a'],
      ['rule_id', 'high_value'],
      ['alert_level', 'orange'],
      ['status', 'open'],
      ['condition', 'active'],
      ['event_type', 'upgraded'],
      ['from_level', 'yellow'],
    ]);
    const cols = Object.fromEntries((row?.columns ?? []).map((col) => [col.name, col]));
    expect(cols['alert_id']).toEqual({ type: 'string', name: 'alert_id', value: c.alertId });
    expect(cols['seq']).toEqual({ type: 'int', name: 'seq', value: 2 });
    expect(cols['opened_at']).toEqual({ type: 'timestampMs', name: 'opened_at', value: 1000 });
    expect(cols['assignee']).toBeUndefined();
    expect(JSON.parse(String(cols['change_json']?.value))).toEqual(c);
  });

  it('serializes through the client into ILP lines with symbols first and a millisecond timestamp', async () => {
    const text = await ilpText(readingRows(t, [reading('rg-1', 'river_gauge', 1_700_000_000_123, { only: ['flow'], fill: 1.5, site: 'a b' })]));
    expect(text).toBe('p_readings,device_id=rg-1,kind=river_gauge,site=a\\ b,metric=flow,unit=m3/s,quality=N value=1.5 1700000000123000000\n');
  });

  it('serializes an alert change whose strings hold quotes, commas and newlines', async () => {
    const c = alertChange('fs-1', 'fire_sensor', 1000, { seq: 1, at: 1000, type: 'raised', status: 'open', reason: 'said "hi", then\nleft' });
    const text = await ilpText(alertRows(t, [c]));
    expect(text.startsWith('p_alert_events,device_id=fs-1,kind=fire_sensor,site=site-a,rule_id=high_value,')).toBe(true);
    expect(text).toContain('seq=1i');
    expect(text).toContain('opened_at=1000000t');
    expect(text).toContain('reason="said \\"hi\\", then\\\nleft"');
    expect(text.trimEnd().endsWith(' 1000000000')).toBe(true);
  });

  it('lists the tables a batch touches once each', () => {
    const rows = [
      ...readingRows(t, [reading('a', 'air_monitor', 1, { only: ['pm25', 'pm10'] })]),
      ...alertRows(t, [alertChange('f', 'fire_sensor', 1, { seq: 1, at: 1, type: 'raised', status: 'open' })]),
    ];
    expect(tablesOf(rows)).toEqual(['p_readings', 'p_alert_events']);
  });
});
