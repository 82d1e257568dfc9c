import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '@ganzhi/config';
import { SERVICE_SCHEMAS, serviceOfCommand } from './helpers/deploy';
import { REPO_ROOT } from './helpers/process';

/**
 * The compose file cannot run here (no Docker engine), so we check what can be checked: it
 * parses, every Ganzhi container runs a service entry point that exists, and each one's
 * environment is accepted by that service's own config schema.
 */
const compose = parse(readFileSync(`${REPO_ROOT}deploy/compose.yaml`, 'utf8'), { merge: true }) as {
  services: Record<string, { command?: string[]; environment?: Record<string, string>; image?: string; build?: { dockerfile: string } }>;
};

const schemas = SERVICE_SCHEMAS;

describe('deploy/compose.yaml', () => {
  const ganzhi = Object.entries(compose.services).filter(([, s]) => s.image === 'ganzhi:latest');

  it('runs Kafka, QuestDB and every service', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['kafka', 'questdb']));
    const run = new Set(ganzhi.map(([, s]) => serviceOfCommand(s.command ?? [])?.service));
    expect([...run].sort()).toEqual(Object.keys(schemas).filter((n) => n !== 'all').sort());
  });

  it.each(ganzhi.map(([name, s]) => [name, s] as const))('%s runs the build of an entry point that exists, on node, with an environment its config schema accepts', (_name, s) => {
    expect(s.command?.[0]).toBe('node');
    const { service, source } = serviceOfCommand(s.command ?? [])!;
    expect(s.command).toContain(`dist/services/${service}/main.js`);
    expect(existsSync(`${REPO_ROOT}${source}`)).toBe(true);
    const config = loadConfig(schemas[service]!, s.environment ?? {}) as Record<string, unknown>;
    expect(config).toMatchObject({ GANZHI_BUS: 'kafka', GANZHI_STORE: 'questdb' });
    for (const key of Object.keys(s.environment ?? {})) expect(config, `${key} is a variable the service reads`).toHaveProperty(key);
  });

  it('builds its image from a Dockerfile in the repo', () => {
    for (const [, s] of ganzhi) expect(existsSync(`${REPO_ROOT}${s.build?.dockerfile ?? 'deploy/Dockerfile'}`)).toBe(true);
  });
});
