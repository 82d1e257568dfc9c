import { describe, expect, it } from 'vitest';
import type { Principal } from '@ganzhi/registry';
import { isWithin, maySubscribe, routePublish } from './acl';

const device = { type: 'device', id: 'gauge-001', device: {} } as unknown as Principal;
const operator = { type: 'operator', id: 'op-alice', operator: { roles: ['operator'] } } as unknown as Principal;
const admin = { type: 'operator', id: 'op-root', operator: { roles: ['admin'] } } as unknown as Principal;

describe('topic access', () => {
  it.each([
    [device, 'devices/gauge-001/telemetry', 'telemetry'],
    [device, 'devices/gauge-001/status', 'status'],
    [device, 'devices/gauge-002/telemetry', undefined],
    [device, 'devices/gauge-001/other', undefined],
    [device, 'alerts/red/river_gauge/gauge-001', undefined],
    [device, 'ops/commands', undefined],
    [operator, 'ops/commands', 'command'],
    [operator, 'devices/gauge-001/telemetry', undefined],
    [operator, 'alerts/red/x/y', undefined],
  ] as const)('%#: %s may publish %s -> %s', (principal, topic, expected) => {
    expect(routePublish(principal, topic)?.type).toBe(expected);
  });

  it.each([
    [device, 'devices/gauge-001/commands/#', true],
    [device, 'devices/gauge-001/commands', true],
    [device, 'devices/gauge-001/#', false],
    [device, 'devices/+/commands/#', false],
    [device, 'alerts/#', false],
    [device, '#', false],
    [operator, 'alerts/#', true],
    [operator, 'alerts/red/+/+/#', true],
    [operator, 'escalations/#', true],
    [device, 'escalations/#', false],
    [operator, 'ops/op-alice/replies', true],
    [operator, 'ops/op-bob/replies', false],
    [operator, 'ops/+/replies', false],
    [operator, 'devices/#', false],
    [operator, '$SYS/#', false],
    [admin, 'devices/#', true],
    [admin, '#', false],
  ] as const)('%#: subscribe %s -> %s', (principal, filter, expected) => {
    expect(maySubscribe(principal, filter)).toBe(expected);
  });

  it('a filter is within a prefix only when no wildcard stands above the prefix depth', () => {
    expect(isWithin('a/b/c', 'a/b')).toBe(true);
    expect(isWithin('a/+/c', 'a/b')).toBe(false);
    expect(isWithin('a/#', 'a/b')).toBe(false);
    expect(isWithin('a', 'a/b')).toBe(false);
  });
});
