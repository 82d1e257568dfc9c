import type { DiskWatchConfig } from './disk-watch';
import { dataDirAreas } from './disk-watch';
import type { RuntimeConfig } from './config';

/** The disk watch the config names: the data directory's volume and its areas. */
export function diskWatchConfig(c: RuntimeConfig): DiskWatchConfig {
  return {
    dir: c.GANZHI_DATA_DIR,
    areas: dataDirAreas(c.GANZHI_DATA_DIR),
    warnPercent: c.GANZHI_DISK_WARN_PERCENT,
    minFreeBytes: c.GANZHI_DISK_MIN_FREE,
    intervalMs: c.GANZHI_DISK_CHECK_MS,
    areasIntervalMs: c.GANZHI_DISK_AREAS_MS,
  };
}
