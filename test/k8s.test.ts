import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { loadConfig } from '@ganzhi/config';
import { SERVICE_SCHEMAS, serviceOfCommand } from './helpers/deploy';
import { REPO_ROOT } from './helpers/process';

/**
 * The Kubernetes manifests (deploy/k8s): each kustomize overlay is rendered by a real kustomize
 * (`kubectl kustomize`, else a standalone `kustomize`), every object is validated against the
 * Kubernetes JSON schemas shipped by the npm package kubernetes-models, and every Ganzhi
 * container's environment (ConfigMaps, Secrets and env entries as the pod would get them) is
 * accepted by that service's own config schema, as test/deploy.test.ts does for compose.
 */
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: unknown };
type EnvFrom = { configMapRef?: { name: string }; secretRef?: { name: string; optional?: boolean } };
type EnvVar = { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } };
type Probe = { httpGet: { path: string; port: string } };
type Container = {
  name: string;
  image: string;
  command: string[];
  envFrom?: EnvFrom[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
};
type PodTemplate = { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: { containers: Container[]; volumes?: Array<{ name: string; configMap?: { name: string }; secret?: { secretName: string } }> } };

const renderer = ((): { cmd: string; args: string[] } | undefined => {
  for (const c of [{ cmd: 'kubectl', args: ['kustomize'] }, { cmd: 'kustomize', args: ['build'] }]) {
    if (spawnSync(c.cmd, [...c.args, '--help'], { encoding: 'utf8' }).status === 0) return c;
  }
  return undefined;
})();
if (!renderer) console.warn('k8s: SKIPPED — neither kubectl (kubectl kustomize) nor kustomize is installed');

function render(overlay: string): Obj[] {
  const run = spawnSync(renderer!.cmd, [...renderer!.args, `${REPO_ROOT}deploy/k8s/overlays/${overlay}`], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`${renderer!.cmd} failed on ${overlay}: ${run.stderr}`);
  const objs = parseAllDocuments(run.stdout).map((d) => d.toJSON() as Obj);
  // kustomize wraps a Secret's base64 at 76 columns; the API server's (Go) base64 decoder skips
  // line breaks, the JSON schema's "byte" format does not: unwrap before validating.
  for (const o of objs) {
    if (o.kind !== 'Secret' || !o.data) continue;
    o.data = Object.fromEntries(Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s+/g, '')]));
  }
  return objs;
}

/** The kubernetes-models classes of the kinds the manifests use; any other kind fails the test. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

async function validate(o: Obj): Promise<void> {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  new Model(o as never).validate();
}

const templates = (objs: Obj[]) =>
  objs
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .map((o) => ({ o, template: (o.spec as { template: PodTemplate }).template }));

function envOf(objs: Obj[], c: Container, podName: string): Record<string, string> {
  const byName = (kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = byName('ConfigMap', from.configMapRef.name);
      expect(cm, `ConfigMap ${from.configMapRef.name}`).toBeDefined();
      Object.assign(env, cm!.data as Record<string, string>);
    }
    if (from.secretRef) {
      const s = byName('Secret', from.secretRef.name);
      expect(s ?? from.secretRef.optional, `Secret ${from.secretRef.name}`).toBeTruthy();
      for (const [k, v] of Object.entries((s?.data ?? {}) as Record<string, string>)) env[k] = Buffer.from(v, 'base64').toString('utf8');
    }
  }
  for (const e of c.env ?? []) env[e.name] = e.value ?? (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name' ? podName : '');
  return env;
}

describe.skipIf(!renderer).each(['embedded', 'distributed'])('deploy/k8s/overlays/%s', (overlay) => {
  const objs = renderer ? render(overlay) : [];

  it('renders objects that all validate against the Kubernetes schemas', async () => {
    expect(objs.length).toBeGreaterThan(5);
    for (const o of objs) {
      await expect(validate(o), `${o.kind}/${o.metadata.name}`).resolves.toBeUndefined();
      if (o.kind !== 'Namespace') expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('ganzhi');
    }
    // and a broken object does fail validation (the check is real)
    await expect(validate({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: [{ port: 'not-a-number' }] } })).rejects.toThrow();
  });

  it("runs built entry points with env each service's config schema accepts", () => {
    const ts = templates(objs);
    expect(ts.length).toBe(overlay === 'embedded' ? 1 : 7);
    for (const { o, template } of ts) {
      for (const c of template.spec.containers) {
        expect(c.image).toBe('ganzhi:0.1.0');
        expect(c.command.slice(0, 2)).toEqual(['node', '--enable-source-maps']);
        const { service } = serviceOfCommand(c.command)!;
        const env = envOf(objs, c, `${o.metadata.name}-7d9f8c6b5-x2x4z`);
        const config = loadConfig(SERVICE_SCHEMAS[service]!, env) as Record<string, unknown>;
        for (const key of Object.keys(env)) expect(config, `${o.metadata.name}: ${key} is a variable ${service} reads`).toHaveProperty(key);
        expect(config).toMatchObject(overlay === 'embedded' ? { GANZHI_BUS: 'embedded', GANZHI_STORE: 'duckdb' } : { GANZHI_BUS: 'kafka', GANZHI_STORE: 'questdb', KAFKA_BROKERS: ['kafka:9092'] });
        // probes on the ops listener, resources set
        const ops = c.ports!.find((p) => p.name === 'ops')!;
        expect(ops.containerPort).toBe(config.GANZHI_OPS_PORT);
        expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'ops' });
        expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'ops' });
        expect(c.resources?.requests?.cpu && c.resources?.limits?.memory).toBeTruthy();
        // rules and registry mounted where the config says
        const mounts = new Map((c.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
        expect(mounts.get(String(config.GANZHI_DATA_DIR))).toBe('data');
        if (config.GANZHI_RULES_DIR) expect(template.spec.volumes?.find((v) => v.name === mounts.get(String(config.GANZHI_RULES_DIR)))?.configMap?.name).toMatch(/^ganzhi-rules-/);
        expect(String(config.GANZHI_REGISTRY_FILE)).toMatch(/^\/etc\/ganzhi\/registry\//);
        expect(template.spec.volumes?.find((v) => v.name === 'registry')?.secret?.secretName).toMatch(/^ganzhi-registry-/);
        expect(template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9464' });
      }
    }
  });

  it('puts the gateways behind a TCP LoadBalancer and the API behind a Service', () => {
    const svc = (name: string) => objs.find((o) => o.kind === 'Service' && o.metadata.name === name)!.spec as { type: string; selector: Record<string, string>; ports: { port: number; protocol: string }[] };
    const mqtt = svc('ganzhi-mqtt');
    expect(mqtt.type).toBe('LoadBalancer');
    expect(mqtt.ports.map((p) => [p.port, p.protocol])).toEqual([[1883, 'TCP'], [8083, 'TCP']]);
    const selects = (sel: Record<string, string>) =>
      templates(objs).filter(({ template }) => Object.entries(sel).every(([k, v]) => template.metadata.labels[k] === v)).map(({ template }) => serviceOfCommand(template.spec.containers[0]!.command)!.service);
    expect(selects(mqtt.selector)).toEqual(overlay === 'embedded' ? ['all'] : ['gateway']);
    expect(selects(svc('ganzhi-api').selector)).toEqual(overlay === 'embedded' ? ['all'] : ['api']);
  });

  it(overlay === 'embedded' ? 'runs the all-in-one as a one-replica StatefulSet on a persistent volume' : 'gives every Deployment a PodDisruptionBudget and points at external Kafka and QuestDB', () => {
    if (overlay === 'embedded') {
      const sts = objs.find((o) => o.kind === 'StatefulSet')!.spec as { replicas: number; volumeClaimTemplates: { metadata: { name: string } }[] };
      expect(sts.replicas).toBe(1);
      expect(sts.volumeClaimTemplates.map((v) => v.metadata.name)).toEqual(['data']);
      return;
    }
    for (const d of objs.filter((o) => o.kind === 'Deployment')) {
      const labels = (d.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      const pdb = objs.find((o) => o.kind === 'PodDisruptionBudget' && JSON.stringify((o.spec as { selector: { matchLabels: unknown } }).selector.matchLabels) === JSON.stringify(labels));
      expect(pdb, `PDB for ${d.metadata.name}`).toBeDefined();
      expect((d.spec as { replicas: number }).replicas).toBeGreaterThanOrEqual(2);
    }
    // the notifier owns the outbox: one instance, a one-replica StatefulSet
    const notifier = objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'ganzhi-notifier')!.spec as { replicas: number; template: PodTemplate };
    expect(notifier.replicas).toBe(1);
    expect(serviceOfCommand(notifier.template.spec.containers[0]!.command)!.service).toBe('notifier');
    const ext = objs.filter((o) => o.kind === 'Service' && (o.spec as { type: string }).type === 'ExternalName').map((o) => o.metadata.name);
    expect(ext.sort()).toEqual(['kafka', 'questdb']);
  });

  it('ships the rule files of deploy/rules in its ConfigMap', () => {
    const rules = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('ganzhi-rules-'))!.data as Record<string, string>;
    const files = readdirSync(`${REPO_ROOT}deploy/rules`).filter((f) => f.endsWith('.json'));
    expect(Object.keys(rules).sort()).toEqual(files.sort());
    for (const f of files) expect(rules[f], f).toBe(readFileSync(`${REPO_ROOT}deploy/rules/${f}`, 'utf8'));
  });
});
