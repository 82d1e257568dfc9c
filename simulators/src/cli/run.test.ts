import { describe, expect, it } from 'vitest';
import { startOf } from './run';

describe('where the CLI puts t = 0', () => {
  const now = Date.UTC(2026, 10, 21, 12, 0, 30);
  const H = 3_600_000;
  it('starts now (timestamps a little ahead of the gateway) when the run stays within a day ahead', () => {
    expect(startOf('auto', 0, 4 * H, 60, now)).toEqual({ start: Date.UTC(2026, 10, 21, 12, 1), status: true });
  });
  it('ends now, without status messages, when the timestamps would run more than a day ahead', () => {
    const { start, status } = startOf('auto', 0, 48 * H, 60, now);
    expect(status).toBe(false);
    expect(start + 48 * H).toBeLessThanOrEqual(now + 48 * H / 60); // the last timestamp is not after the run's end
    expect(startOf('auto', 0, 48 * H, Infinity, now).start).toBe(Date.UTC(2026, 10, 19, 12, 0));
  });
  it('takes the scenario start or an explicit time', () => {
    expect(startOf('scenario', 123, H, 60, now)).toEqual({ start: 123, status: false });
    expect(startOf('2026-12-01T00:00:00+08:00', 0, H, 60, now)).toEqual({ start: Date.UTC(2026, 10, 30, 16), status: true });
    expect(() => startOf('tomorrow', 0, H, 60, now)).toThrow(/--start must be/);
  });
});
