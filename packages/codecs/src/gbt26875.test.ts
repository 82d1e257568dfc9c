import { describe, expect, it } from 'vitest';
import { decodeGbt26875Frame, encodeGbt26875Frame, gbt26875Answer, gbt26875Checksum, parseGbt26875Time } from './gbt26875';
import { COMPONENT_STATE_BITS, decodeGbt26875App, encodeGbt26875App, gbt26875Bits, OPERATION_BITS } from './gbt26875-app';

// shootingfans/codec_gb26875_3_2011 codec/codec_test.go "test success" (domain README §5.1):
// 78 bytes, command 2 (send data), one component state (type 2), checksum 0x68.
const VERIFIED = Buffer.from(
  '404000000101180d11160a14000000000000060504030201300002020101' +
    '0300d90006000200a3c1c7f8a3b1b2e3dfc8b2b8d7dfc0c8000000000000000000000000000000' +
    '30121301081468' +
    '2323',
  'hex',
);
// The same bytes with the checksum 0x43 (test "check sum fail") and with a bad tail "#\x13".
const BAD_SUM = Buffer.from(VERIFIED);
BAD_SUM[75] = 0x43;
const BAD_TAIL = Buffer.from(VERIFIED);
BAD_TAIL[75] = 0x53;
BAD_TAIL[77] = 0x13;

describe('GB/T 26875.3 frame', () => {
  it('decodes the verified 78-byte frame: header, checksum 0x68, one fire-alarm component state', () => {
    expect(VERIFIED.length).toBe(78);
    const d = decodeGbt26875Frame(VERIFIED);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    const { frame, end } = d.value;
    expect(end).toBe(78);
    expect(frame).toMatchObject({
      serial: 0,
      version: { major: 1, minor: 1 },
      source: '000000000000',
      destination: '010203040506',
      command: 'send',
      checksumInFrame: 0x68,
      checksumCalc: 0x68,
      checksumValid: true,
    });
    // 2020-10-22 17:13:24 China time
    expect(frame.time).toBe(Date.UTC(2020, 9, 22, 9, 13, 24));
    const app = decodeGbt26875App(frame.appData);
    expect(app.ok).toBe(true);
    if (!app.ok) return;
    expect(app.value.typeCode).toBe(2);
    expect(app.value.objects).toHaveLength(1);
    const o = app.value.objects[0]!;
    expect(o).toMatchObject({
      type: 'componentState',
      system: { type: 1, address: 3 },
      component: { type: 0, address: 0x0600d9 },
      state: 0x0002,
      description: 'Ａ区１层呷哺走廊',
      time: Date.UTC(2020, 7, 1, 11, 18, 48), // 2020-08-01 19:18:48 China time
    });
    expect(o.type === 'componentState' && o.flags.fireAlarm).toBe(true);
    expect(o.type === 'componentState' && o.flags.fault).toBe(false);
  });

  it('reports a wrong checksum (0x43) without hiding the frame, and refuses a bad tail', () => {
    const bad = decodeGbt26875Frame(BAD_SUM);
    expect(bad.ok && bad.value.frame.checksumValid).toBe(false);
    expect(bad.ok && bad.value.frame.checksumCalc).toBe(0x68);
    const tail = decodeGbt26875Frame(BAD_TAIL);
    expect(tail).toMatchObject({ ok: false, code: 'GANZHI_ERR_NORM_BAD_FRAME' });
    expect(!tail.ok && tail.reason).toContain('##');
  });

  it('refuses a short frame, a bad head and an oversize length', () => {
    expect(decodeGbt26875Frame(VERIFIED.subarray(0, 10))).toMatchObject({ ok: false, code: 'GANZHI_ERR_NORM_BAD_FRAME' });
    expect(decodeGbt26875Frame(Buffer.from('3140553140553140553140553140553140553140553140553140553140553140', 'hex'))).toMatchObject({ ok: false });
    const big = Buffer.from(VERIFIED);
    big.writeUInt16LE(2000, 24);
    expect(decodeGbt26875Frame(big)).toMatchObject({ ok: false });
    const cut = VERIFIED.subarray(0, 53); // "test size not enough"
    expect(decodeGbt26875Frame(cut)).toMatchObject({ ok: false });
  });

  it('encodes what it decodes: the verified frame rebuilt byte for byte', () => {
    const d = decodeGbt26875Frame(VERIFIED);
    if (!d.ok) throw new Error(d.reason);
    const f = d.value.frame;
    const again = encodeGbt26875Frame({ serial: f.serial, version: f.version, time: f.time!, source: f.source, destination: f.destination, command: 'send', appData: f.appData });
    expect(again.equals(VERIFIED)).toBe(true);
  });

  it("encodes the reference codec's ack: serial 1, addresses little-endian, no app data, command 3", () => {
    const time = Date.UTC(2021, 6, 2, 1, 0, 5);
    const ack = encodeGbt26875Frame({ serial: 1, version: { major: 1, minor: 0 }, time, source: '000102030405', destination: '060708090A0B', command: 'confirm' });
    expect(ack.subarray(0, 6).toString('hex')).toBe('404001000100');
    expect(ack.subarray(12, 27).toString('hex')).toBe('0504030201000b0a09080706000003');
    expect(ack[27]).toBe(gbt26875Checksum(ack, 2, 27));
    expect(ack.subarray(28).toString()).toBe('##');
  });

  it('answers a frame with its serial and the addresses swapped (confirm 3, deny 6)', () => {
    const d = decodeGbt26875Frame(VERIFIED);
    if (!d.ok) throw new Error(d.reason);
    for (const [kind, cmd] of [['confirm', 'confirm'], ['deny', 'deny']] as const) {
      const a = decodeGbt26875Frame(gbt26875Answer({ ...d.value.frame, serial: 513 }, kind, Date.UTC(2026, 0, 1)));
      expect(a.ok && a.value.frame).toMatchObject({ serial: 513, command: cmd, source: '010203040506', destination: '000000000000', checksumValid: true });
      expect(a.ok && a.value.frame.appData.length).toBe(0);
    }
  });

  it('parses only valid time tags', () => {
    expect(parseGbt26875Time(Buffer.from([59, 59, 23, 31, 12, 25]), 0)).toBe(Date.UTC(2025, 11, 31, 15, 59, 59));
    expect(parseGbt26875Time(Buffer.from([60, 0, 0, 1, 1, 20]), 0)).toBeUndefined();
    expect(parseGbt26875Time(Buffer.from([0, 0, 0, 0, 1, 20]), 0)).toBeUndefined();
  });
});

describe('GB/T 26875.3 application data', () => {
  const t = Date.UTC(2026, 10, 1, 2, 3, 4);

  it('decodes the reference system-state objects (two controllers, flags 0x0204 and 0x0105)', () => {
    const app = decodeGbt26875App(Buffer.from([0x01, 0x02, 0x01, 0x02, 0x04, 0x02, 0x04, 0x00, 0x09, 0x02, 0x07, 0x15, 0x0d, 0x03, 0x05, 0x01, 0x05, 0x00, 0x09, 0x02, 0x07, 0x15]));
    expect(app.ok).toBe(true);
    if (!app.ok) return;
    const [a, b] = app.value.objects;
    expect(a).toMatchObject({ type: 'systemState', system: { type: 1, address: 2 }, state: 0x0204 });
    expect(a?.type === 'systemState' && a.flags).toMatchObject({ normal: false, fireAlarm: false, fault: true, backupPowerFault: true, busFault: false });
    expect(b).toMatchObject({ type: 'systemState', system: { type: 13, address: 3 }, state: 0x0105 });
    expect(b?.type === 'systemState' && b.flags).toMatchObject({ normal: true, fault: true, mainPowerFault: true });
  });

  it('decodes the reference analog value (smoke detector, temperature 0x0320 = 80.0 degC) and operation (0x84)', () => {
    const analog = decodeGbt26875App(Buffer.from([0x03, 0x01, 0x01, 0x02, 0x28, 0x01, 0x02, 0x03, 0x04, 0x03, 0x20, 0x03, 0x04, 0x00, 0x09, 0x02, 0x07, 0x15]));
    expect(analog.ok && analog.value.objects[0]).toMatchObject({ type: 'componentAnalog', component: { type: 40, address: 0x04030201 }, analogType: 3, raw: 800, value: 80, unit: 'degC' });
    const op = decodeGbt26875App(Buffer.from([0x04, 0x01, 0x01, 0x02, 0x84, 0xfa, 0x04, 0x00, 0x09, 0x02, 0x07, 0x15]));
    expect(op.ok && op.value.objects[0]).toMatchObject({ type: 'systemOperation', operation: 0x84, operator: 0xfa });
    expect(op.ok && op.value.objects[0]?.type === 'systemOperation' && op.value.objects[0].flags).toMatchObject({ reset: false, selfTest: false, test: false, alarmCleared: false, manualAlarm: true });
    const uitd = decodeGbt26875App(Buffer.from([0x15, 0x01, 0x08, 0x04, 0x00, 0x09, 0x02, 0x07, 0x15]));
    expect(uitd.ok && uitd.value.objects[0]).toMatchObject({ type: 'uitdState', state: 8 });
    expect(uitd.ok && uitd.value.objects[0]?.type === 'uitdState' && uitd.value.objects[0].flags.mainPowerFault).toBe(true);
  });

  it('refuses truncated objects and unknown types', () => {
    expect(decodeGbt26875App(Buffer.from([0x01, 0x01, 0x03, 0x04]))).toMatchObject({ ok: false, code: 'GANZHI_ERR_NORM_BAD_FRAME' });
    expect(decodeGbt26875App(Buffer.from([0x02, 0x02, 0x03]))).toMatchObject({ ok: false });
    expect(decodeGbt26875App(Buffer.from([0xfe, 0x01]))).toMatchObject({ ok: false, code: 'GANZHI_ERR_NORM_UNSUPPORTED' });
    expect(decodeGbt26875App(Buffer.from([0x01]))).toMatchObject({ ok: false });
  });

  it('round-trips every object type the encoder writes, a GB 18030 description included', () => {
    const cases = [
      [{ type: 'systemState', system: { type: 1, address: 7 }, state: 0x0003, time: t }],
      [{ type: 'componentState', system: { type: 1, address: 7 }, component: { type: 42, address: 0x00123456 }, state: gbt26875Bits(COMPONENT_STATE_BITS, ['normal', 'fireAlarm']), description: '3号楼2层烟感', time: t }],
      [{ type: 'componentAnalog', system: { type: 11, address: 1 }, component: { type: 0, address: 9 }, analogType: 4, raw: -3, time: t }],
      [{ type: 'systemOperation', system: { type: 1, address: 1 }, operation: gbt26875Bits(OPERATION_BITS, ['reset']), operator: 3, time: t }],
      [{ type: 'uitdState', state: 1, time: t }],
      [{ type: 'uitdOperation', operation: 0x20, operator: 1, time: t }],
      [{ type: 'syncUitdTime', time: t }],
      [{ type: 'dutyCheck', timeoutMin: 10 }],
      [{ type: 'initUitd' }],
      [{ type: 'query', code: 61, raw: [1, 7] }, { type: 'query', code: 61, raw: [1, 8] }],
    ] as const;
    for (const objects of cases) {
      const app = decodeGbt26875App(encodeGbt26875App(objects));
      expect(app.ok, JSON.stringify(objects)).toBe(true);
      if (!app.ok) continue;
      expect(app.value.objects).toHaveLength(objects.length);
      const o = app.value.objects[0]!;
      const want = objects[0];
      expect(o.type).toBe(want.type);
      if ('time' in want) expect((o as { time?: number }).time).toBe(t);
      if (want.type === 'componentState') expect(o).toMatchObject({ description: '3号楼2层烟感', state: 3 });
      if (want.type === 'componentAnalog') expect(o).toMatchObject({ raw: -3, value: -0.3, unit: 'MPa' });
      if (want.type === 'dutyCheck') expect(o).toMatchObject({ timeoutMin: 10 });
    }
  });

  it('refuses to encode mixed types, too many objects, a description over 31 bytes', () => {
    expect(() => encodeGbt26875App([])).toThrow(RangeError);
    expect(() => encodeGbt26875App([{ type: 'uitdState', state: 1, time: t }, { type: 'uitdTime', time: t }])).toThrow(RangeError);
    expect(() =>
      encodeGbt26875App([{ type: 'componentState', system: { type: 1, address: 1 }, component: { type: 40, address: 1 }, state: 1, description: '很长的描述'.repeat(4), time: t }]),
    ).toThrow(RangeError);
  });
});
