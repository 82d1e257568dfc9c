import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmbeddedBus, type EmbeddedBus } from '@ganzhi/bus';
import { createLogger } from '@ganzhi/log';
import type { Device, Registry } from '@ganzhi/registry';
import type { RuleEngine } from '@ganzhi/rules';
import { buildRulesService } from './build';

const DEVICES = 1_200;

function devices(n: number): Device[] {
  return Array.from({ length: n }, (_, i) => ({ id: `gauge-${i}`, kind: 'river_gauge', format: 'json', attributes: {} }) as unknown as Device);
}

function registryOf(list: Device[]): Registry {
  return { demo: true, devices: () => list, device: (id: string) => list.find((d) => d.id === id) } as unknown as Registry;
}

describe('the rule sweep (absence, composite windows) over a large registry', () => {
  let dir: string;
  let bus: EmbeddedBus | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ganzhi-rules-sweep-'));
  });
  afterEach(async () => {
    await bus?.close();
    bus = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('ticks every device once, and lets the event loop run between its slices (I/O and readings get in)', async () => {
    bus = await createEmbeddedBus({ dir, logger: createLogger({ level: 'silent' }) });
    const list = devices(DEVICES);
    const ticked: string[] = [];
    /** For each device ticked: whether the task scheduled while ticking the first device had run by then. */
    const otherWorkRan = new Map<string, boolean>();
    let ran = false;
    const engine = {
      ruleIds: ['river-absence'],
      evaluate: () => {
        throw new Error('no readings in this test');
      },
      tick: (device: Device, state: unknown) => {
        if (ticked.length === 0) setImmediate(() => (ran = true)); // what a socket's data would be
        ticked.push(device.id);
        otherWorkRan.set(device.id, ran);
        return { signals: [], state: state ?? {}, unchanged: true, siteState: undefined, siteUnchanged: true };
      },
    } as unknown as RuleEngine;
    const rules = buildRulesService({ bus, registry: registryOf(list), engine, logger: createLogger({ level: 'silent' }) }, { sweepCron: '' });
    await rules.start();
    try {
      expect(await rules.sweep()).toBe(0);
      expect(ticked).toEqual(list.map((d) => d.id));
      // Not one synchronous pass: the first device's slice ran before the task, the last one's after.
      expect(otherWorkRan.get(list[0]!.id)).toBe(false);
      expect(otherWorkRan.get(list[DEVICES - 1]!.id)).toBe(true);
    } finally {
      await rules.close();
    }
  });

  it('stops between slices when the service closes mid-sweep (no slice runs on a closed bus)', async () => {
    bus = await createEmbeddedBus({ dir, logger: createLogger({ level: 'silent' }) });
    const list = devices(DEVICES);
    const ticked: string[] = [];
    let closing: Promise<void> | undefined;
    const engine = {
      ruleIds: ['river-absence'],
      evaluate: () => {
        throw new Error('no readings in this test');
      },
      tick: (device: Device, state: unknown) => {
        if (ticked.length === 0) closing = rules.close();
        ticked.push(device.id);
        return { signals: [], state: state ?? {}, unchanged: true, siteState: undefined, siteUnchanged: true };
      },
    } as unknown as RuleEngine;
    const rules = buildRulesService({ bus, registry: registryOf(list), engine, logger: createLogger({ level: 'silent' }) }, { sweepCron: '' });
    await rules.start();
    await expect(rules.sweep()).resolves.toBe(0);
    await closing;
    expect(ticked.length).toBeGreaterThan(0);
    expect(ticked.length).toBeLessThan(DEVICES);
  });
});
