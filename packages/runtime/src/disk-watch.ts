import { lstat, readdir, statfs as fsStatfs } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '@ganzhi/log';
import { GanzhiError } from '@ganzhi/schemas';

/** What `statfs(2)` says of the volume (the fields of node's StatFs that matter here). */
export interface VolumeStats {
  bsize: number;
  blocks: number;
  /** Blocks free to an unprivileged process. */
  bavail: number;
}

export interface DiskWatchConfig {
  /** A path on the volume to watch (the data directory). */
  dir: string;
  /** Area name -> files or directories whose bytes on disk are summed (missing ones count 0). */
  areas: Readonly<Record<string, readonly string[]>>;
  /** Warn once the volume is this full (percent). */
  warnPercent: number;
  /** Below this many free bytes ingest refuses new work. */
  minFreeBytes: number;
  /** How often the volume's free space is checked (one statfs). */
  intervalMs: number;
  /**
   * How often the interval also walks the areas (a stat per file: many thread-pool round trips,
   * and areas grow slowly). Default: every check. `check()` called directly always walks them.
   */
  areasIntervalMs?: number;
}

export interface DiskWatchDeps {
  logger: Logger;
  /** The volume's figures; default node's fs.statfs. Tests inject their own. */
  statfs?: (path: string) => Promise<VolumeStats>;
  now?: () => number;
}

export interface DiskSnapshot {
  at: number;
  totalBytes: number;
  freeBytes: number;
  usedPercent: number;
  /** Bytes on disk per area. */
  areas: Record<string, number>;
  warn: boolean;
  ingestAllowed: boolean;
  reason?: string;
}

export interface DiskVerdict {
  usedPercent: number;
  warn: boolean;
  ingestAllowed: boolean;
  reason?: string;
}

/** The pure rule: warn at warnPercent used; refuse ingest once free bytes fall below the floor. */
export function judgeDisk(v: VolumeStats, c: Pick<DiskWatchConfig, 'warnPercent' | 'minFreeBytes'>): DiskVerdict {
  const total = v.blocks * v.bsize;
  const free = v.bavail * v.bsize;
  const usedPercent = total > 0 ? Math.round(((total - free) / total) * 1000) / 10 : 0;
  const warn = usedPercent >= c.warnPercent;
  if (free < c.minFreeBytes) {
    return { usedPercent, warn, ingestAllowed: false, reason: `free space ${free} B is below GANZHI_DISK_MIN_FREE=${c.minFreeBytes} B` };
  }
  return { usedPercent, warn, ingestAllowed: true };
}

/** Bytes on disk (allocated blocks) under a path; a path that is missing or vanishes counts 0. */
export async function bytesOnDisk(path: string, depth = 0): Promise<number> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return 0;
  }
  const own = st.blocks !== undefined ? st.blocks * 512 : st.size;
  if (!st.isDirectory() || depth > 16) return own;
  let names: string[];
  try {
    names = await readdir(path);
  } catch {
    return own;
  }
  // Side by side: the thread pool's answers then wake the event loop in groups, not one by one.
  const sizes = await Promise.all(names.map((name) => bytesOnDisk(join(path, name), depth + 1)));
  let sum = own;
  for (const size of sizes) sum += size;
  return sum;
}

export interface DiskWatch {
  start(): Promise<void>;
  close(): Promise<void>;
  /** Samples now (start() and the interval call it); `walkAreas` false keeps the last area figures. */
  check(walkAreas?: boolean): Promise<DiskSnapshot>;
  /** False below the free-space floor: the gateway then accepts nothing new (no PUBACK). */
  ingestAllowed(): boolean;
  /** Why ingest is refused, while it is. */
  reason(): string | undefined;
  /** For the gateway: undefined while ingest is allowed, else the error to refuse with (counted). */
  refusal(): GanzhiError | undefined;
  /** The last sample, and how many publishes were refused for disk space. */
  snapshot(): (DiskSnapshot & { refused: number }) | undefined;
  /**
   * For a gateway on another thread: `listener` hears the gate now and at every change (the error
   * to refuse with, or undefined once ingest is allowed again), never per message; that gateway
   * reports what it refused through `countRefused`.
   */
  watchGate(listener: (refusal: GanzhiError | undefined) => void): void;
  countRefused(n: number): void;
}

/**
 * Watches the data directory's volume on an interval: bytes per area for /api/stats, a warning
 * once the volume is `warnPercent` full, and the ingest gate below the free-space floor. Each
 * change of state is logged once (warn, error, then info when it clears), never per message.
 */
export function buildDiskWatch(config: DiskWatchConfig, deps: DiskWatchDeps): DiskWatch {
  const log = deps.logger.child({ component: 'disk-watch' });
  const statfs = deps.statfs ?? ((p: string) => fsStatfs(p));
  const now = deps.now ?? Date.now;
  let last: DiskSnapshot | undefined;
  let refused = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<DiskSnapshot> | undefined;
  const gateListeners: ((refusal: GanzhiError | undefined) => void)[] = [];
  const gateNow = () => (last && !last.ingestAllowed ? new GanzhiError('GANZHI_ERR_GW_DISK_FULL', last.reason) : undefined);

  /** The volume of the data directory, or of its nearest existing parent (a service that has not made it yet). */
  async function volume(): Promise<VolumeStats> {
    let dir = resolve(config.dir);
    for (let i = 0; ; i++) {
      try {
        return await statfs(dir);
      } catch (err) {
        const parent = dirname(dir);
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === dir || i > 64) throw err;
        dir = parent;
      }
    }
  }

  let areasAt = -Infinity;

  async function measureAreas(): Promise<Record<string, number>> {
    const entries = await Promise.all(
      Object.entries(config.areas).map(async ([name, paths]) => {
        let sum = 0;
        for (const size of await Promise.all(paths.map((p) => bytesOnDisk(p)))) sum += size;
        return [name, sum] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  async function sample(walkAreas: boolean): Promise<DiskSnapshot> {
    const v = await volume();
    const verdict = judgeDisk(v, config);
    let areas = last?.areas ?? {};
    if (walkAreas || !last) {
      areasAt = now();
      areas = await measureAreas();
    }
    const snap: DiskSnapshot = { at: now(), totalBytes: v.blocks * v.bsize, freeBytes: v.bavail * v.bsize, areas, ...verdict };
    const before = last;
    last = snap;
    if (snap.warn && !before?.warn) log.warn({ usedPercent: snap.usedPercent, warnPercent: config.warnPercent, areas }, 'data volume is filling up');
    if (!snap.ingestAllowed && before?.ingestAllowed !== false) {
      log.error({ code: 'GANZHI_ERR_GW_DISK_FULL', freeBytes: snap.freeBytes, minFreeBytes: config.minFreeBytes, areas }, `ingest paused: ${snap.reason}; publishes get no PUBACK until space is freed`);
    }
    if (snap.ingestAllowed && before?.ingestAllowed === false) log.info({ freeBytes: snap.freeBytes }, 'ingest resumed: free space is above the floor again');
    if (snap.ingestAllowed !== before?.ingestAllowed || snap.reason !== before?.reason) for (const l of gateListeners) l(gateNow());
    return snap;
  }

  function check(walkAreas = true): Promise<DiskSnapshot> {
    running ??= sample(walkAreas).finally(() => (running = undefined));
    return running;
  }

  return {
    async start() {
      await check();
      timer = setInterval(() => {
        check(now() - areasAt >= (config.areasIntervalMs ?? 0)).catch((err: unknown) => log.warn({ err }, 'disk check failed'));
      }, config.intervalMs);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
    check,
    ingestAllowed: () => last?.ingestAllowed ?? true,
    reason: () => (last && !last.ingestAllowed ? last.reason : undefined),
    refusal() {
      const err = gateNow();
      if (err) refused++;
      return err;
    },
    snapshot: () => (last ? { ...last, refused } : undefined),
    watchGate(listener) {
      gateListeners.push(listener);
      listener(gateNow());
    },
    countRefused(n) {
      refused += n;
    },
  };
}

/** The areas of a data directory: bus state logs, bus topics, the DuckDB store. */
export function dataDirAreas(dataDir: string): Record<string, string[]> {
  const db = join(dataDir, 'ganzhi.duckdb');
  return {
    busState: [join(dataDir, 'bus', 'state')],
    busTopics: [join(dataDir, 'bus', 'topics')],
    store: [db, `${db}.wal`],
  };
}
