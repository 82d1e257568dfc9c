import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_REGISTRY_FILE } from '@ganzhi/all';
import { loadScenarioFile } from '@ganzhi/simulators';
import { replayScenario, type ScenarioReplay } from '../helpers/scenario';
import { startPeer, writeNotifyRegistry } from '../helpers/receivers';

/**
 * The flood crest replayed through the whole pipeline with the shipped example routing file
 * `deploy/notify/flood-duty.json`: the river duty group is paged on orange and red, the district
 * chief on red only (each as it happens: a site's changes within 60 s would go out as one message),
 * and the city's dispatch system gets a digest: the river's changes of each half hour as one message.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
let peer: Awaited<ReturnType<typeof startPeer>>;
let run: ScenarioReplay;

/** A notification as a line: who, and each alert it carries (device, rule, event, grade). */
const line = (body: { alerts: { deviceId: string; ruleId: string; event: string; level: string }[] }) =>
  body.alerts.map((a) => `${a.deviceId} ${a.ruleId} ${a.event} ${a.level}`).join(' + ');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ganzhi-notify-flood-'));
  peer = await startPeer();
  const demo = JSON.parse(await readFile(DEMO_REGISTRY_FILE, 'utf8')) as { devices: { id: string }[] };
  await writeNotifyRegistry(
    join(dir, 'registry.json'),
    { devices: demo.devices.filter((d) => d.id.startsWith('gauge-')) },
    {
      operators: [
        { id: 'op-alice' },
        { id: 'op-river', name: 'River duty officer' },
        { id: 'chief-wang', name: 'District chief', receivers: [{ id: 'phone', type: 'webhook', url: peer.url('/chief') }] },
      ],
      dutyGroups: [{ id: 'river-duty', members: ['op-river'], receivers: [{ id: 'desk', type: 'webhook', url: peer.url('/river-duty') }] }],
    },
  );
  const scenario = await loadScenarioFile(join(ROOT, 'simulators/scenarios/river-flood-crest.json'));
  run = await replayScenario(scenario, {
    env: {
      GANZHI_REGISTRY_FILE: join(dir, 'registry.json'),
      GANZHI_NOTIFY_ROUTES_FILE: join(ROOT, 'deploy/notify/flood-duty.json'),
      GANZHI_CITY_DISPATCH_URL: peer.url('/city'),
      GANZHI_CITY_DISPATCH_SECRET: 'city-secret',
    },
  });
}, 300_000);
afterAll(async () => {
  await peer?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('river-flood-crest with the flood duty routing file', () => {
  it('replays as its scenario expects', () => {
    expect(run.comparison.ok).toBe(true);
  });

  it('pages the river duty group on orange and red, in order', () => {
    const got = peer.on('/river-duty').map((r) => line(r.body));
    expect(got).toEqual(EXPECTED_DUTY);
  });

  it('pages the district chief on red only', () => {
    const got = peer.on('/chief').map((r) => line(r.body));
    expect(got).toEqual(EXPECTED_CHIEF);
  });

  it('sends the city dispatch system a half-hour digest of the river, signed', () => {
    const got = peer.on('/city').map((r) => line(r.body));
    expect(got).toEqual(EXPECTED_CITY);
    for (const r of peer.on('/city')) expect(r.headers['x-ganzhi-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('never pages below orange, and each notification once', () => {
    const all = [...peer.on('/river-duty'), ...peer.on('/chief')];
    expect(all.flatMap((r) => r.body.alerts.map((a: { level: string }) => a.level)).every((l: string) => l === 'orange' || l === 'red')).toBe(true);
    const keys = all.map((r) => r.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

/**
 * The crest in scenario time: the north gauge's rise rate turns orange (~16 h 14 min) and, nobody
 * acknowledging it, is escalated twice; the south gauge follows; then the flood levels turn orange,
 * and the north gauge goes red (~21 h 09 min). Yellow and blue changes, and the downgrades after
 * the crest, page nobody. No two changes of one site fall within 60 s, so each is its own message.
 */
const EXPECTED_DUTY = [
  'gauge-001 river-rise-rate upgraded orange',
  'gauge-001 river-rise-rate escalated orange',
  'gauge-001 river-rise-rate escalated orange',
  'gauge-002 river-rise-rate upgraded orange',
  'gauge-002 river-rise-rate escalated orange',
  'gauge-002 river-rise-rate escalated orange',
  'gauge-001 river-flood-level upgraded orange',
  'gauge-001 river-flood-level escalated orange',
  'gauge-002 river-flood-level upgraded orange',
  'gauge-001 river-flood-level upgraded red',
];
const EXPECTED_CHIEF = ['gauge-001 river-flood-level upgraded red'];
/** Grouped by kind, each digest holding what came within 30 min of its first change (both sites). */
const EXPECTED_CITY = [
  'gauge-001 river-rise-rate upgraded orange + gauge-001 river-rise-rate escalated orange + gauge-001 river-rise-rate escalated orange',
  'gauge-002 river-rise-rate upgraded orange + gauge-002 river-rise-rate escalated orange + gauge-002 river-rise-rate escalated orange',
  'gauge-001 river-flood-level upgraded orange + gauge-001 river-flood-level escalated orange',
  'gauge-002 river-flood-level upgraded orange + gauge-001 river-flood-level upgraded red',
];
