/**
 * Summarises a V8 CPU profile (.cpuprofile JSON, as `--cpu-prof` or the inspector's
 * Profiler.stop return it): self time per function and per area (package or file). Pure.
 */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number }; hitCount?: number; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  /**
   * `function (file:line)`, or a V8 pseudo-frame like `(garbage collector)`; native code (no
   * script) is named after its JavaScript caller: `writev <- writevGeneric (node:...)`.
   */
  readonly name: string;
  /** The package or repo area responsible: the nearest frame on the stack outside Node's own code. */
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
  /** The repo's own functions (packages/, services/) by inclusive time: what they and their callees took. */
  readonly ownInclusive: SelfTime[];
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

function shortUrl(fullUrl: string): string {
  // tsx loads a worker thread's modules with a query naming its loader instance: not part of the file's name
  const url = fullUrl.replace(/\?tsx-namespace=[^:]*/, '');
  const nm = /node_modules\/(.*)$/.exec(url);
  if (nm) return nm[1]!;
  const repo = /\/((?:packages|services|simulators|bench)\/.*)$/.exec(url);
  if (repo) return repo[1]!;
  return url.replace(/^file:\/\//, '');
}

export function summariseProfile(p: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  type Node = CpuProfile['nodes'][number];
  const ancestor = (n: Node, ok: (m: Node) => boolean): Node | undefined => {
    for (let id = parentOf.get(n.id), k = 0; id !== undefined && k < 200; id = parentOf.get(id), k++) {
      const m = byId.get(id);
      if (m && ok(m)) return m;
    }
    return undefined;
  };
  const pseudo = (n: Node) => !n.callFrame.url && n.callFrame.functionName.startsWith('(');
  const userland = (m: Node) => m.callFrame.url !== '' && !m.callFrame.url.startsWith('node:');
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
    if (!n || ms <= 0) continue;
    totalMs += ms;
    const { functionName, url } = n.callFrame;
    if (functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    // tsx compiles a .ts file onto few lines: a line number there says nothing, the file does.
    const label = (m: Node) => {
      const f = m.callFrame;
      const where = /\.[cm]?ts$/.test(f.url) && f.lineNumber === 0 ? shortUrl(f.url) : `${shortUrl(f.url)}:${f.lineNumber + 1}`;
      return `${f.functionName || '(anonymous)'} (${where})`;
    };
    let name: string;
    let area: string;
    if (pseudo(n)) {
      name = functionName;
      area = functionName;
    } else {
      const caller = url ? undefined : ancestor(n, (m) => m.callFrame.url !== '');
      name = url ? label(n) : `${functionName || '(native)'}${caller ? ` <- ${label(caller)}` : ''}`;
      const owner = userland(n) ? n : ancestor(n, userland);
      area = owner ? areaOf(owner.callFrame.url, owner.callFrame.functionName) : areaOf(url, functionName);
    }
    const f = fns.get(name) ?? { area, ms: 0 };
    f.ms += ms;
    fns.set(name, f);
    areas.set(area, (areas.get(area) ?? 0) + ms);
  }
  // Inclusive time of the repo's own functions: each sample's time goes to every distinct own
  // function on its stack (recursion counted once).
  const own = new Map<string, { area: string; ms: number }>();
  const isOwn = (url: string) => /\/(packages|services)\/[^/]+\/src\//.test(url) && !url.includes('node_modules');
  for (const [id, ms] of selfMs) {
    const leaf = byId.get(id);
    if (!leaf || ms <= 0 || pseudo(leaf)) continue;
    const seen = new Set<string>();
    for (let m: Node | undefined = leaf, k = 0; m && k < 200; m = ancestor(m, () => true), k++) {
      if (!isOwn(m.callFrame.url)) continue;
      const key = `${m.callFrame.functionName || '(anonymous)'} (${shortUrl(m.callFrame.url)})`;
      if (seen.has(key)) continue;
      seen.add(key);
      const e = own.get(key) ?? { area: areaOf(m.callFrame.url, m.callFrame.functionName), ms: 0 };
      e.ms += ms;
      own.set(key, e);
    }
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
    ownInclusive: [...own]
      .map(([name, f]) => ({ name, area: f.area, ms: f.ms, share: share(f.ms) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
}
