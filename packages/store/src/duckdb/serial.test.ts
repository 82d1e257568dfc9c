import { describe, expect, it } from 'vitest';
import { createSerial } from './serial';

describe('createSerial', () => {
  it('runs operations one at a time in call order', async () => {
    const serial = createSerial();
    const log: string[] = [];
    let running = 0;
    const op = (name: string, ticks: number) => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      for (let i = 0; i < ticks; i++) await Promise.resolve();
      log.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all([serial.run(op('a', 5)), serial.run(op('b', 1)), serial.run(op('c', 3))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('rejects only the failed operation and still runs the next', async () => {
    const serial = createSerial();
    const failed = serial.run(() => Promise.reject(new Error('boom')));
    const next = serial.run(async () => 'ok');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
    await expect(serial.idle()).resolves.toBeUndefined();
  });
});
