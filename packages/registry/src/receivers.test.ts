import { describe, expect, it } from 'vitest';
import { createRegistry, parseRegistry } from './registry';

const secret = 'scrypt$1024$8$1$c2FsdA==$aGFzaA==';

describe('receivers in the registry', () => {
  it('gives operators and duty groups their receivers, secrets by reference', () => {
    const reg = createRegistry(
      parseRegistry({
        operators: [{ id: 'op-a', secret, receivers: [{ id: 'mail', type: 'email', to: ['a@x.example'] }] }],
        dutyGroups: [{ id: 'river-duty', members: ['op-a'], receivers: [{ id: 'ding', type: 'dingtalk', url: { env: 'DING_URL' }, secret: { file: '/run/secrets/ding' } }] }],
      }),
    );
    expect(reg.operator('op-a')?.receivers).toEqual([{ id: 'mail', type: 'email', to: ['a@x.example'] }]);
    expect(reg.dutyGroup('river-duty')?.receivers[0]).toMatchObject({ type: 'dingtalk', url: { env: 'DING_URL' } });
    expect(reg.dutyGroups()).toHaveLength(1);
  });

  it('stays valid without any (the field is optional)', () => {
    const reg = createRegistry(parseRegistry({ operators: [{ id: 'op-a', secret }] }));
    expect(reg.dutyGroups()).toEqual([]);
    expect(reg.operator('op-a')?.receivers).toBeUndefined();
  });

  it('names a bad receiver, an unknown member and a duplicate', () => {
    expect(() => parseRegistry({ operators: [{ id: 'op-a', secret, receivers: [{ id: 'x', type: 'sms' }] }] })).toThrow(/operators\.0\.receivers\.0\.type/);
    expect(() => parseRegistry({ dutyGroups: [{ id: 'g', members: ['nobody'] }] })).toThrow(/dutyGroups\.0\.members\.0: no operator "nobody"/);
    expect(() =>
      parseRegistry({ dutyGroups: [{ id: 'g', receivers: [{ id: 'a', type: 'email', to: ['a@x.example'] }, { id: 'a', type: 'email', to: ['b@x.example'] }] }] }),
    ).toThrow(/dutyGroups\.0\.receivers\.1\.id: duplicate receiver/);
  });
});
