import { formatDuration } from '../duration';

export interface ProgressLine {
  /** Scenario time reached and the scenario's length, ms. */
  readonly t: number;
  readonly duration: number;
  readonly done: number;
  readonly total: number;
  /** Extra counters shown after the bar, e.g. `{ alerts: 3 }`. */
  readonly counters?: Readonly<Record<string, number>>;
}

/** The text of one progress update: a bar on a terminal, a plain line otherwise. */
export function progressText(p: ProgressLine, width = 30, bar = true): string {
  const frac = p.total === 0 ? 1 : Math.min(1, p.done / p.total);
  const pct = `${Math.floor(frac * 100)}`.padStart(3);
  const counters = Object.entries(p.counters ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join('  ');
  const clock = `${formatDuration(p.t)} / ${formatDuration(p.duration)}`;
  if (!bar) return `progress ${pct}%  scenario ${clock}  actions ${p.done}/${p.total}${counters ? `  ${counters}` : ''}`;
  const filled = Math.round(frac * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct}%  ${clock}  ${counters}`;
}

/**
 * Progress output: on a TTY one bar redrawn in place (at most ~10 times a second); otherwise a
 * plain line at every 10 % step, so that logs stay readable.
 */
export function createProgress(stream: NodeJS.WriteStream, now: () => number = Date.now) {
  const tty = stream.isTTY === true;
  let lastDraw = 0;
  let lastDecile = -1;
  return {
    update(p: ProgressLine, force = false) {
      if (tty) {
        const t = now();
        if (!force && t - lastDraw < 100) return;
        lastDraw = t;
        stream.write(`\r${progressText(p, Math.max(10, Math.min(40, (stream.columns ?? 80) - 60)))}\x1b[K`);
        return;
      }
      const decile = Math.floor((p.total === 0 ? 1 : p.done / p.total) * 10);
      if (decile === lastDecile && !force) return;
      lastDecile = decile;
      stream.write(`${progressText(p, 0, false)}\n`);
    },
    end() {
      if (tty) stream.write('\n');
    },
  };
}
