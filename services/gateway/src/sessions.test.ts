import { describe, expect, it } from 'vitest';
import type { Client } from 'aedes';
import { createSessionBook, ownerOf } from './sessions';

const ids = new Set(['op', 'op-alice', 'gauge-001']);
const known = (id: string) => ids.has(id);
const client = (id: string, closed = false) => ({ id, closed }) as unknown as Client;

describe('client ids and principals', () => {
  it.each([
    ['gauge-001', 'gauge-001'],
    ['gauge-001-sim', 'gauge-001'],
    ['gauge-001:x', 'gauge-001'],
    ['gauge-0011', undefined],
    ['op-alice-console', 'op-alice'],
    ['op-bob', 'op'],
    ['mqttjs_1234', undefined],
    ['', undefined],
  ])('%s names %s (longest registered prefix)', (clientId, owner) => {
    expect(ownerOf(clientId, known)).toBe(owner);
  });

  it('gives an id that names a principal to that principal only, clean session or not', () => {
    const book = createSessionBook(known);
    expect(book.claim(client('gauge-001'), 'gauge-001', false).ok).toBe(true);
    expect(book.claim(client('gauge-001'), 'op-alice', true)).toMatchObject({ ok: false });
  });

  it('lets an id naming nobody be used with a clean session, by one principal at a time', () => {
    const book = createSessionBook(known);
    expect(book.claim(client('mqttjs_1', false), 'op-alice', false).ok).toBe(false);
    const first = client('mqttjs_1');
    expect(book.claim(first, 'op-alice', true).ok).toBe(true);
    expect(book.claim(client('mqttjs_1'), 'gauge-001', true).ok).toBe(false);
    expect(book.claim(client('mqttjs_1'), 'op-alice', true).ok).toBe(true); // the same principal may take over its own
    book.release(first); // no longer the holder: nothing happens
    expect(book.size()).toBe(1);
  });
});
