import { writeFile } from 'node:fs/promises';
import { summariseProfile, type ProfileSummary } from '../lib/cpuprofile';
import { startProfiler, startWorkerProfiler, type Profiler } from '../lib/inspector';
import { freePort } from '../lib/proc';
import { startPipeline, type PipelineTargetOptions } from '../lib/targets';
import type { DeviceSpec } from '../load/devices';
import { startFleet } from '../load/fleet';
import { warmUp } from './city';
import { describeWindow } from './ingest';
import { drain, measure, type Window } from './measure';

export interface ProfileResult {
  rate: number;
  window: Window;
  summary: ProfileSummary;
  /** The gateway's thread (GANZHI_GATEWAY_THREAD), over the same window, when the pipeline has one. */
  gatewayThread?: ProfileSummary;
  savedTo?: string;
}

/**
 * A CPU profile of the pipeline's main thread under the ingest load: the pipeline child runs with
 * its inspector on a loopback port, and the profiler samples only the measured window (not
 * start-up or the connect storm).
 */
export async function runProfile(
  pipeline: Omit<PipelineTargetOptions, 'inspectPort'>,
  devices: readonly DeviceSpec[],
  o: { rate: number; window: number; settleMs: number; seconds: number; workers: number; out?: string; log: (line: string) => void },
): Promise<ProfileResult> {
  const inspectPort = await freePort();
  const target = await startPipeline({ ...pipeline, inspectPort });
  const fleet = await startFleet(devices, o.workers);
  try {
    const c = await fleet.connect(target, o.window);
    if (c.connected === 0) throw new Error(`no device connected: ${c.firstError ?? 'unknown'}`);
    // The steady state, not the JIT's first seconds (which dominate a low rate's short window).
    await warmUp(target, fleet, Math.max(1000, o.rate), 10_000, o.log);
    fleet.setRate(o.rate);
    await new Promise((r) => setTimeout(r, o.settleMs));
    const profiler = await startProfiler(inspectPort);
    const gateway: Profiler | undefined = await startWorkerProfiler(inspectPort, /gateway/).catch((err: unknown) => {
      o.log(`  no gateway thread profiled: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
    const window = await measure(target, fleet, o.rate, 0, o.seconds * 1000);
    const profile = await profiler.stop();
    const gatewayProfile = await gateway?.stop();
    profiler.close();
    gateway?.close();
    o.log(`  profile window: ${describeWindow(window)}`);
    await drain(target, fleet, 10_000);
    const result: ProfileResult = { rate: o.rate, window, summary: summariseProfile(profile, 30), ...(gatewayProfile ? { gatewayThread: summariseProfile(gatewayProfile, 30) } : {}) };
    if (o.out) {
      await writeFile(o.out, JSON.stringify(profile));
      if (gatewayProfile) await writeFile(o.out.replace(/(\.cpuprofile)?$/, '.gateway.cpuprofile'), JSON.stringify(gatewayProfile));
      result.savedTo = o.out;
    }
    return result;
  } finally {
    await fleet.close();
    await target.stop();
  }
}
