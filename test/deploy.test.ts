import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { loadConfig } from '@ganzhi/config';
import { GatewayServiceConfigSchema } from '@ganzhi/gateway';
import { RulesConfigSchema } from '@ganzhi/rules-service';
import { AlertsConfigSchema } from '@ganzhi/alerts-service';
import { ApiConfigSchema } from '@ganzhi/api';
import { NotifierConfigSchema } from '@ganzhi/notifier';
import { RuntimeConfigSchema, checkRuntime } from '@ganzhi/runtime';
import { REPO_ROOT } from './helpers/process';

/**
 * The compose file cannot run here (no Docker engine), so we check what can be checked: it
 * parses, every Ganzhi container runs a service entry point that exists, and each one's
 * environment is accepted by that service's own config schema.
 */
const compose = parse(readFileSync(`${REPO_ROOT}deploy/compose.yaml`, 'utf8'), { merge: true }) as {
  services: Record<string, { command?: string[]; environment?: Record<string, string>; image?: string; build?: { dockerfile: string } }>;
};

const schemas: Record<string, z.ZodType> = {
  gateway: GatewayServiceConfigSchema,
  normalizer: RuntimeConfigSchema.superRefine(checkRuntime),
  rules: RulesConfigSchema,
  alerts: AlertsConfigSchema,
  writer: RuntimeConfigSchema.superRefine(checkRuntime),
  api: ApiConfigSchema,
  notifier: NotifierConfigSchema,
};

describe('deploy/compose.yaml', () => {
  const ganzhi = Object.entries(compose.services).filter(([, s]) => s.image === 'ganzhi:latest');

  it('runs Kafka, QuestDB and every service', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['kafka', 'questdb']));
    const run = new Set(ganzhi.map(([, s]) => /services\/([a-z]+)\/src\/main\.ts/.exec(s.command?.join(' ') ?? '')?.[1]));
    expect([...run].sort()).toEqual(Object.keys(schemas).sort());
  });

  it.each(ganzhi.map(([name, s]) => [name, s] as const))('%s runs an entry point that exists, with an environment its config schema accepts', (_name, s) => {
    const entry = s.command!.find((a) => a.endsWith('main.ts'))!;
    expect(existsSync(`${REPO_ROOT}${entry}`)).toBe(true);
    const service = /services\/([a-z]+)\//.exec(entry)![1]!;
    const config = loadConfig(schemas[service]!, s.environment ?? {}) as Record<string, unknown>;
    expect(config).toMatchObject({ GANZHI_BUS: 'kafka', GANZHI_STORE: 'questdb' });
    for (const key of Object.keys(s.environment ?? {})) expect(config, `${key} is a variable the service reads`).toHaveProperty(key);
  });

  it('builds its image from a Dockerfile in the repo', () => {
    for (const [, s] of ganzhi) expect(existsSync(`${REPO_ROOT}${s.build?.dockerfile ?? 'deploy/Dockerfile'}`)).toBe(true);
  });
});
