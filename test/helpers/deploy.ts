import type { z } from 'zod';
import { GatewayServiceConfigSchema } from '@ganzhi/gateway';
import { RulesConfigSchema } from '@ganzhi/rules-service';
import { AlertsConfigSchema } from '@ganzhi/alerts-service';
import { ApiConfigSchema } from '@ganzhi/api';
import { PipelineConfigSchema } from '@ganzhi/all';
import { NotifierConfigSchema } from '@ganzhi/notifier';
import { RuntimeConfigSchema, checkRuntime } from '@ganzhi/runtime';

/** Each service's own config schema, by the name of its folder under services/. */
export const SERVICE_SCHEMAS: Record<string, z.ZodType> = {
  all: PipelineConfigSchema,
  gateway: GatewayServiceConfigSchema,
  normalizer: RuntimeConfigSchema.superRefine(checkRuntime),
  rules: RulesConfigSchema,
  alerts: AlertsConfigSchema,
  writer: RuntimeConfigSchema.superRefine(checkRuntime),
  api: ApiConfigSchema,
  notifier: NotifierConfigSchema,
};

/**
 * The service a container command runs: a built entry (`dist/services/<name>/main.js`, what
 * images run) or, for development, a source one (`services/<name>/src/main.ts`).
 */
export function serviceOfCommand(command: readonly string[]): { service: string; source: string } | undefined {
  for (const arg of command) {
    const m = /^(?:dist\/services\/([a-z]+)\/main\.js|services\/([a-z]+)\/src\/main\.ts)$/.exec(arg);
    const service = m?.[1] ?? m?.[2];
    if (service) return { service, source: `services/${service}/src/main.ts` };
  }
  return undefined;
}
