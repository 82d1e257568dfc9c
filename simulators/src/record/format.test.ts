import { describe, expect, it } from 'vitest';
import { isGanzhiError } from '@ganzhi/schemas';
import { decodeRecordedPayload, encodeRecordedPayload, parseRecording, replayPlan, shiftJsonTs } from './format';

const header = { type: 'header', version: 1, recordedAt: 1_000_000, url: 'mqtt://x', filters: ['devices/#'] };
const line = (o: object) => JSON.stringify(o);

describe('recordings', () => {
  it('keep text payloads as text and binary frames as base64, both restoring the exact bytes', () => {
    const text = Buffer.from('{"ts":1,"waterLevel":12.5}');
    const binary = Buffer.from([0x7e, 0x7e, 0x01, 0x00, 0x12, 0xff]);
    expect(encodeRecordedPayload(text)).toEqual({ encoding: 'utf8', payload: '{"ts":1,"waterLevel":12.5}' });
    expect(encodeRecordedPayload(binary).encoding).toBe('base64');
    expect(decodeRecordedPayload(encodeRecordedPayload(binary))).toEqual(binary);
    expect(encodeRecordedPayload(Buffer.from('##0101QN=1;CP=&&&&1C80\r\n')).encoding).toBe('utf8');
  });

  it('become a replay plan: telemetry only, retained and alert messages skipped, each device connecting before its first message', () => {
    const rec = parseRecording(
      [
        line(header),
        line({ t: 0, at: 1_000_000, topic: 'devices/g/status', retain: true, qos: 1, encoding: 'utf8', payload: 'online' }),
        line({ t: 5, at: 1_000_005, topic: 'devices/g/telemetry', retain: false, qos: 1, encoding: 'utf8', payload: '{"ts":1000005}' }),
        line({ t: 7, at: 1_000_007, topic: 'alerts/red/river_gauge/g/flood', retain: false, qos: 1, encoding: 'utf8', payload: '{}' }),
        line({ t: 9, at: 1_000_009, topic: 'devices/h/telemetry', retain: false, qos: 1, encoding: 'base64', payload: 'fn4=' }),
        line({ t: 12, at: 1_000_012, topic: 'devices/g/telemetry', retain: true, qos: 1, encoding: 'utf8', payload: '{"ts":1}' }),
        '',
      ].join('\n'),
    );
    const plan = replayPlan(rec, { shiftTs: 1000 });
    expect(plan.actions.map((a) => `${a.t} ${a.device} ${a.type}`)).toEqual(['5 g connect', '5 g telemetry', '9 h connect', '9 h telemetry']);
    const [, first, , second] = plan.actions;
    expect(first!.type === 'telemetry' && first!.payload).toBe('{"ts":1001005}');
    expect(second!.type === 'telemetry' && Buffer.from(second!.payload as Uint8Array)).toEqual(Buffer.from([0x7e, 0x7e]));
    expect(plan.duration).toBe(9);
  });

  it('leave payloads without a numeric ts alone when shifting', () => {
    expect(shiftJsonTs('{"waterLevel":1}', 5)).toBe('{"waterLevel":1}');
    expect(shiftJsonTs('not json', 5)).toBe('not json');
    expect(shiftJsonTs('{"ts":10}', 0)).toBe('{"ts":10}');
  });

  it.each([
    ['', /empty \(no header line\)/],
    [line({ t: 0 }), /rec:1: expected the header line/],
    [`${line(header)}\n{oops`, /rec:2: not JSON/],
    [`${line(header)}\n${line({ t: -1, at: 0, topic: 'x', encoding: 'utf8', payload: '' })}`, /rec:2: t: /],
  ])('refuse a broken file with the line number (%#)', (text, pattern) => {
    try {
      parseRecording(text, 'rec');
      throw new Error('parsed');
    } catch (err) {
      expect(isGanzhiError(err, 'GANZHI_ERR_SIM_RECORDING')).toBe(true);
      expect((err as Error).message).toMatch(pattern);
    }
  });
});
