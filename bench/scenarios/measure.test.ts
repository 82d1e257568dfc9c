import { describe, expect, it } from 'vitest';
import { shard } from '../load/devices';
import { slope, sustained, type Window } from './measure';

const w = (over: Partial<Window>): Window => ({ offered: 1000, seconds: 5, acked: 1000, throttled: 0, targetCpu: 1, loadCpu: 0.1, otherCpu: 0, dropped: 0, ...over });

describe('sustained rate decision', () => {
  it('holds when everything offered was acknowledged and the backlog stayed flat', () => {
    expect(sustained(w({ backlogSlope: 10, backlogStart: 4900, backlogEnd: 5000 }))).toBe(true);
  });
  it('fails when the devices could not send what the rate asked (windows full)', () => {
    expect(sustained(w({ acked: 900 }))).toBe(false);
    expect(sustained(w({ throttled: 50 }))).toBe(false);
  });
  it('fails when the pipeline backlog grows by more than 3 % of the traffic plus a batch', () => {
    // 1000/s for 5 s: allowance 150 + 500 records
    expect(sustained(w({ backlogStart: 100, backlogEnd: 700, backlogSlope: 100 }))).toBe(true);
    expect(sustained(w({ backlogStart: 100, backlogEnd: 1100, backlogSlope: 100 }))).toBe(false);
    expect(sustained(w({ backlogStart: 100, backlogEnd: 100, backlogSlope: 400 }))).toBe(false);
  });
  it('holds while a backlog left from before shrinks', () => {
    expect(sustained(w({ backlogStart: 20_000, backlogEnd: 5_000, backlogSlope: -3000 }))).toBe(true);
  });
  it('judges a closed loop (offered 0) by its backlog only', () => {
    expect(sustained(w({ offered: 0, acked: 50_000 }))).toBe(true);
    expect(sustained(w({ offered: 0, acked: 50_000, backlogStart: 0, backlogSlope: 30_000, backlogEnd: 100_000 }))).toBe(false);
  });
});

describe('helpers', () => {
  it('fits the least-squares slope of backlog samples', () => {
    expect(slope([[0, 10], [1, 30], [2, 50]])).toBeCloseTo(20);
    expect(slope([[0, 5]])).toBe(0);
  });
  it('shards devices in blocks of four so every worker gets every kind', () => {
    const parts = shard([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 2);
    expect(parts).toEqual([[0, 1, 2, 3, 8, 9, 10, 11], [4, 5, 6, 7]]);
  });
});
