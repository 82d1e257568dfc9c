import { allows, subscribeAction, type Principal, type SubscribeTarget } from '@ganzhi/registry';

/**
 * Topic access rules, as pure functions of the authenticated principal (DESIGN "MQTT"):
 *  - a device publishes only `devices/{ownId}/telemetry` and `devices/{ownId}/status`, and
 *    subscribes only to what is addressed to it: `devices/{ownId}/commands/...`;
 *  - an operator subscribes to `alerts/...`, `escalations/...` and its own `ops/{ownId}/...` replies, and publishes
 *    commands on `ops/commands`; an admin may also read `devices/...`. What each role may do is
 *    the policy's (packages/registry policy.ts): this file maps topics to the policy's actions.
 * Anything else is refused. `$SYS` is never open to clients.
 */
export type PublishRoute =
  | { readonly type: 'telemetry'; readonly deviceId: string }
  | { readonly type: 'status'; readonly deviceId: string }
  | { readonly type: 'command'; readonly operatorId: string };

export const COMMAND_TOPIC = 'ops/commands';
export const replyTopic = (operatorId: string) => `ops/${operatorId}/replies`;
export const deviceTelemetryTopic = (deviceId: string) => `devices/${deviceId}/telemetry`;
export const deviceStatusTopic = (deviceId: string) => `devices/${deviceId}/status`;

/** Where an accepted publish goes, or undefined when the principal may not publish there. */
export function routePublish(principal: Principal, topic: string): PublishRoute | undefined {
  if (principal.type === 'device') {
    if (topic === deviceTelemetryTopic(principal.id)) return { type: 'telemetry', deviceId: principal.id };
    if (topic === deviceStatusTopic(principal.id)) return { type: 'status', deviceId: principal.id };
    return undefined;
  }
  if (topic === COMMAND_TOPIC) return { type: 'command', operatorId: principal.id };
  return undefined;
}

/** What an operator's subscription filter reaches, or undefined when it reaches nothing allowed. */
export function subscribeTarget(operatorId: string, filter: string): SubscribeTarget | undefined {
  if (filter.startsWith('$')) return undefined;
  if (isWithin(filter, 'alerts')) return 'alerts';
  if (isWithin(filter, 'escalations')) return 'escalations';
  if (isWithin(filter, `ops/${operatorId}`)) return 'own-replies';
  if (isWithin(filter, 'devices')) return 'devices';
  return undefined;
}

/** Whether the principal may subscribe to `filter` (an MQTT topic filter, wildcards allowed). */
export function maySubscribe(principal: Principal, filter: string): boolean {
  if (filter.startsWith('$')) return false;
  if (principal.type === 'device') return isWithin(filter, `devices/${principal.id}/commands`);
  const target = subscribeTarget(principal.id, filter);
  return target !== undefined && allows(principal.operator.roles, subscribeAction(target));
}

/**
 * True when every topic the filter can match lies under `prefix` (the prefix itself or below it).
 * A wildcard at or above the prefix's depth could match outside it, so it is refused.
 */
export function isWithin(filter: string, prefix: string): boolean {
  const f = filter.split('/');
  const p = prefix.split('/');
  if (f.length < p.length) return false;
  for (let i = 0; i < p.length; i++) {
    if (f[i] !== p[i]) return false; // '+' or '#' here would reach beyond the prefix
  }
  return true;
}

/** A subscription through which an operator reads device traffic (delivered off the ingest path). */
export function isDeviceTap(principal: Principal, filter: string): boolean {
  return principal.type === 'operator' && isWithin(filter, 'devices');
}
