/**
 * Write groups: the readings of every writeReadings call that arrives within a short linger (or
 * until a row count is reached) are written as one commit, and each call resolves only when the
 * commit holding its readings did. A commit has a fixed cost in DuckDB (a transaction, a WAL
 * append and its fsync, a few ms of CPU on a busy two-core box) that dwarfs the per-row cost at
 * low rates, so fewer, larger commits are what make 100 msg/s cheap.
 *
 * Pure scheduling: the flush is given; no DuckDB, no logger.
 */
export interface WriteGroupOptions {
  /** How long a group stays open for more calls after its first one (ms; 0 = flush at once). */
  lingerMs: number;
  /** A group closes early once it holds this many rows; a single larger call is its own group. */
  maxRows: number;
}

export interface WriteGroups<T> {
  /** Adds one call's items (`rows` rows); resolves or rejects with the commit that holds them. */
  add(items: readonly T[], rows: number): Promise<void>;
  /** Closes the open group at once and resolves when every group so far has settled. */
  drain(): Promise<void>;
}

interface Group<T> {
  items: T[];
  rows: number;
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
  timer: ReturnType<typeof setTimeout> | undefined;
}

export const DEFAULT_WRITE_GROUP: WriteGroupOptions = { lingerMs: 1000, maxRows: 2000 };

/**
 * `flush` receives the items of one group in call order, and their row count (later calls after earlier ones, so a
 * last-write-wins flush keeps the order of the calls). Flushes may overlap in time: the caller
 * serialises them (the DuckDB store runs them on its one writer connection, in order).
 */
export function createWriteGroups<T>(options: WriteGroupOptions, flush: (items: T[], rows: number) => Promise<void>): WriteGroups<T> {
  const { lingerMs, maxRows } = options;
  let open: Group<T> | undefined;
  const inFlight = new Set<Promise<void>>();

  function close(group: Group<T>): void {
    if (open === group) open = undefined;
    if (group.timer !== undefined) clearTimeout(group.timer);
    const done = flush(group.items, group.rows).then(
      () => {
        for (const w of group.waiters) w.resolve();
      },
      (err: unknown) => {
        for (const w of group.waiters) w.reject(err);
      },
    );
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  }

  return {
    add(items, rows) {
      if (open && open.rows > 0 && open.rows + rows > maxRows) close(open);
      const group = (open ??= { items: [], rows: 0, waiters: [], timer: undefined });
      for (const item of items) group.items.push(item);
      group.rows += rows;
      const settled = new Promise<void>((resolve, reject) => group.waiters.push({ resolve, reject }));
      if (group.rows >= maxRows || lingerMs === 0) close(group);
      else group.timer ??= setTimeout(() => close(group), lingerMs);
      return settled;
    },
    async drain() {
      if (open) close(open);
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
