import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet, type Fleet } from '../load/fleet';
import { writeBenchRegistry } from './registry';
import { startPipeline, type Target } from './targets';

/** `PROBE_ENV="K=V K2=V2"`: extra environment for the pipeline of a diagnostic probe (values may contain `=`). */
export function probeEnv(): Record<string, string> {
  const spec = process.env.PROBE_ENV;
  return spec ? Object.fromEntries(spec.split(' ').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) : {};
}

/**
 * What the diagnostic probes (`bench/probe.ts`, `alert-probe.ts`, `alloc-probe.ts`) share: a
 * pipeline (fsync) in a temporary directory with a bench registry of `devices`, that fleet
 * connected to it, `run`, then everything stopped and removed.
 */
export async function withProbePipeline(
  o: { devices: number; inspectPort?: number },
  run: (p: { target: Target; fleet: Fleet; operator: { user: string; password: string } }) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ganzhi-probe-'));
  try {
    const reg = await writeBenchRegistry(dir, o.devices);
    const target = await startPipeline({ name: 'pipeline', dataDir: join(dir, 'data'), registryFile: reg.file, operator: reg.operator, sync: 'fsync', env: probeEnv(), ...(o.inspectPort ? { inspectPort: o.inspectPort } : {}) });
    const fleet = await startFleet(reg.devices.slice(0, o.devices), 2);
    try {
      await fleet.connect(target, 4);
      await run({ target, fleet, operator: reg.operator });
      fleet.setRate(0);
    } finally {
      await fleet.close();
      await target.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
