import { describe, expect, it } from 'vitest';
import { ACTIONS, ACTION_NAMES, HTTP_ROUTES, ROLES, allows, highestRole, httpAction, silenceLimitMinutes } from './policy';
import { RegistryFileSchema } from './schema';

describe('role policy', () => {
  it('is cumulative: each role may do what the one below may, and more', () => {
    for (const action of ACTION_NAMES) {
      const allowed = ROLES.map((r) => allows([r], action));
      const first = allowed.indexOf(true);
      expect(first).toBe(ROLES.indexOf(ACTIONS[action]));
      expect(allowed.slice(first).every(Boolean)).toBe(true);
    }
  });

  it.each([
    ['viewer', 'alerts.read', true],
    ['viewer', 'alerts.acknowledge', false],
    ['operator', 'alerts.resolve', true],
    ['operator', 'alerts.close', false],
    ['operator', 'silences.create', false],
    ['supervisor', 'alerts.close', true],
    ['supervisor', 'silences.create', true],
    ['supervisor', 'devices.tap', false],
    ['supervisor', 'silences.unlimited', false],
    ['admin', 'devices.tap', true],
    ['admin', 'audit.checkpoint', true],
  ] as const)('%s may %s: %s', (role, action, expected) => {
    expect(allows([role], action)).toBe(expected);
  });

  it('counts the highest role listed and ignores unknown ones; no role allows nothing', () => {
    expect(highestRole(['operator', 'admin'])).toBe('admin');
    expect(highestRole(['root'])).toBeUndefined();
    expect(allows([], 'alerts.read')).toBe(false);
    expect(allows(['root'], 'alerts.read')).toBe(false);
  });

  it('maps every HTTP route to an action, and nothing else', () => {
    expect(httpAction('POST', '/api/alerts/a:b:c/close')).toBe('alerts.close');
    expect(httpAction('GET', '/api/alerts/a:b:c')).toBe('alerts.read');
    expect(httpAction('DELETE', '/api/silences/sil-1')).toBe('silences.delete');
    expect(httpAction('PUT', '/api/silences')).toBeUndefined();
    expect(httpAction('GET', '/api/unknown')).toBeUndefined();
    for (const r of HTTP_ROUTES) expect(ACTION_NAMES).toContain(r.action);
  });

  it('limits silences below admin', () => {
    expect(silenceLimitMinutes(['supervisor'], 60)).toBe(60);
    expect(silenceLimitMinutes(['admin'], 60)).toBeUndefined();
  });

  it('keeps registries that list ["operator"] or ["operator", "admin"] valid, and refuses an unknown role', () => {
    const secret = 'scrypt$1024$8$1$c2FsdA==$aGFzaA==';
    expect(RegistryFileSchema.parse({ operators: [{ id: 'a', secret, roles: ['operator', 'admin'] }, { id: 'b', secret }] }).operators[1]?.roles).toEqual(['operator']);
    expect(RegistryFileSchema.safeParse({ operators: [{ id: 'a', secret, roles: ['root'] }] }).success).toBe(false);
  });
});
