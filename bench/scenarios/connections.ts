import { cpuMeter, memoryMb, sleep } from '../lib/proc';
import type { Target } from '../lib/targets';
import type { DeviceSpec } from '../load/devices';
import { startFleet } from '../load/fleet';

export interface ConnectionsResult {
  target: string;
  wanted: number;
  connected: number;
  failed: number;
  firstError?: string;
  connectSeconds: number;
  /** Target CPU (cores) during the connect storm and while idle afterwards. */
  connectCpu: number;
  idleCpu: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  /** (RSS after - RSS before) / connected, KB. */
  kbPerConnection?: number;
}

/**
 * `devices.length` idle MQTT connections (no publishes, keepalive 0) to a freshly started target;
 * the target's RSS before and after, the connect time and CPU, then CPU while idle.
 */
export async function runConnections(
  start: () => Promise<Target>,
  devices: readonly DeviceSpec[],
  o: { workers: number; concurrency: number; idleMs: number; log: (line: string) => void },
): Promise<ConnectionsResult> {
  const target = await start();
  try {
    await sleep(1_000);
    const before = memoryMb(target.pid)?.rss ?? 0;
    const fleet = await startFleet(devices, o.workers);
    try {
      const cpu = cpuMeter([target.pid]);
      const c = await fleet.connect(target, 1, o.concurrency);
      const connectCpu = cpu.stop();
      const idle = cpuMeter([target.pid]);
      await sleep(o.idleMs);
      const idleCpu = idle.stop();
      const after = memoryMb(target.pid)?.rss ?? 0;
      const r: ConnectionsResult = {
        target: target.name,
        wanted: devices.length,
        connected: c.connected,
        failed: c.failed,
        ...(c.firstError ? { firstError: c.firstError } : {}),
        connectSeconds: c.ms / 1000,
        connectCpu,
        idleCpu,
        rssBeforeMb: before,
        rssAfterMb: after,
        ...(c.connected > 0 ? { kbPerConnection: ((after - before) * 1024) / c.connected } : {}),
      };
      o.log(
        `  ${target.name}: ${c.connected}/${devices.length} connected in ${r.connectSeconds.toFixed(1)} s (${c.failed} failed${c.firstError ? `: ${c.firstError}` : ''}), ` +
          `RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MB, ${r.kbPerConnection?.toFixed(1) ?? '-'} KB/connection, idle CPU ${idleCpu.toFixed(2)}`,
      );
      return r;
    } finally {
      await fleet.close();
    }
  } finally {
    await target.stop();
  }
}
