import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { REPO } from '../lib/targets';
import { startChild } from '../lib/proc';

export interface MicroResult {
  file: string;
  group: string;
  name: string;
  hz: number;
  /** Mean time per op, µs. */
  meanUs: number;
  rme: number;
}

interface VitestBenchJson {
  files: { filepath: string; groups: { fullName: string; benchmarks: { name: string; hz: number; mean: number; rme: number }[] }[] }[];
}

/** Runs every bench/*.bench.ts once with `vitest bench` (bounded) and returns ops/s per benchmark. */
export async function runMicro(outDir: string, timeoutMs: number): Promise<{ results: MicroResult[]; error?: string }> {
  const benchDir = join(REPO, 'bench');
  const files = (await readdir(benchDir)).filter((f) => f.endsWith('.bench.ts')).sort().map((f) => join('bench', f));
  const out = join(outDir, 'vitest-bench.json');
  const vitest = join(REPO, 'node_modules/vitest/vitest.mjs');
  const child = startChild(process.execPath, [vitest, 'bench', '--run', '--project', 'unit', '--outputJson', out, ...files], { cwd: REPO });
  const timer = setTimeout(() => void child.stop(5_000), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  let json: VitestBenchJson;
  try {
    json = JSON.parse(await readFile(out, 'utf8')) as VitestBenchJson;
  } catch {
    return { results: [], error: `vitest bench exited ${code} without a report: ${child.output().slice(-1500)}` };
  }
  const results = json.files.flatMap((f) =>
    f.groups.flatMap((g) =>
      g.benchmarks.map((b) => ({
        file: relative(REPO, f.filepath),
        group: g.fullName.split(' > ').slice(1).join(' > '),
        name: b.name,
        hz: b.hz,
        meanUs: b.mean * 1000,
        rme: b.rme,
      })),
    ),
  );
  return code === 0 ? { results } : { results, error: `vitest bench exited ${code}` };
}
