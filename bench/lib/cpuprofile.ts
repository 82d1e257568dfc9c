/**
 * Summarises a V8 CPU profile (.cpuprofile JSON, as `--cpu-prof` or the inspector's
 * Profiler.stop return it): self time per function and per area (package or file). Pure.
 */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  /** `function (file:line)` or a V8 pseudo-frame like `(garbage collector)`. */
  readonly name: string;
  readonly area: string;
  readonly ms: number;
  /** Share of the sampled time that was not idle, 0..1. */
  readonly share: number;
}

export interface ProfileSummary {
  /** Wall time covered by the profile and the busy part of it (not `(idle)`), ms. */
  readonly totalMs: number;
  readonly busyMs: number;
  readonly functions: SelfTime[];
  readonly areas: SelfTime[];
}

/** Where a frame's code lives: `node:internal`, an npm package, or a repo path under packages/ or services/. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0]!.replace(/^internal$/, 'internal');
  const repo = /\/((?:packages|services|simulators|bench)\/[^/]+)\//.exec(url);
  if (repo) return repo[1]!;
  return url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
}

function shortUrl(url: string): string {
  const nm = /node_modules\/(.*)$/.exec(url);
  if (nm) return nm[1]!;
  const repo = /\/((?:packages|services|simulators|bench)\/.*)$/.exec(url);
  if (repo) return repo[1]!;
  return url.replace(/^file:\/\//, '');
}

export function summariseProfile(p: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfMs = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    // timeDeltas[i] is the time since the previous sample; attribute the gap after a sample to it.
    for (let i = 0; i < samples.length; i++) {
      const gap = (deltas[i + 1] ?? 0) / 1000;
      selfMs.set(samples[i]!, (selfMs.get(samples[i]!) ?? 0) + Math.max(0, gap));
    }
  } else {
    const total = (p.endTime - p.startTime) / 1000;
    const hits = p.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
    for (const n of p.nodes) selfMs.set(n.id, ((n.hitCount ?? 0) / hits) * total);
  }
  const fns = new Map<string, { area: string; ms: number }>();
  const areas = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (const [id, ms] of selfMs) {
    const n = byId.get(id);
    if (!n) continue;
    totalMs += ms;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    const area = areaOf(url, functionName);
    // tsx compiles a .ts file onto few lines: a line number there says nothing, the file does.
    const where = url && /\.[cm]?ts$/.test(url) && lineNumber === 0 ? shortUrl(url) : `${shortUrl(url)}:${lineNumber + 1}`;
    const name = url ? `${functionName || '(anonymous)'} (${where})` : functionName || '(anonymous)';
    const f = fns.get(name) ?? { area, ms: 0 };
    f.ms += ms;
    fns.set(name, f);
    areas.set(area, (areas.get(area) ?? 0) + ms);
  }
  const busyMs = totalMs - idleMs;
  const share = (ms: number) => (busyMs > 0 ? ms / busyMs : 0);
  return {
    totalMs,
    busyMs,
    functions: [...fns]
      .map(([name, f]) => ({ name, area: f.area, ms: f.ms, share: share(f.ms) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
    areas: [...areas]
      .map(([name, ms]) => ({ name, area: name, ms, share: share(ms) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
}
