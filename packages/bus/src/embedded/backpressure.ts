import { AsyncLocalStorage } from 'node:async_hooks';

/** One active consumer (a group subscribed to a topic in this bus instance) as the gate sees it. */
export interface ActiveConsumer {
  readonly topic: string;
  readonly group: string;
  /** Next offset the group has not yet handled (its acknowledged position, committed or about to be). */
  position: number;
  /** Topics this consumer's own delivery loop is waiting to publish to, with how many calls wait. */
  readonly waitingOn: Map<string, number>;
}

/**
 * Bounded-lag backpressure (pure bookkeeping plus promises; no I/O): `admit(topic)` resolves at
 * once while every active consumer of `topic` is at most `maxLag` records behind its end, and
 * otherwise waits, woken by the consumers' progress (with a fallback timer).
 *
 * Deadlock freedom: publishes made from inside a consumer's delivery loop are attributed to that
 * consumer (AsyncLocalStorage). A consumer whose own publish waits on a topic that (directly or
 * through other waiting consumers) waits on topic T does not count against T: it cannot progress
 * until T admits, so counting it would be a cycle (a group publishing to the topic it consumes,
 * or A→B→A). In a plain chain (A's consumer publishes to B, B's consumer is slow) A's consumer
 * still counts against A, which is what carries the pressure upstream.
 */
export class LagGate {
  private readonly consumers = new Map<string, Set<ActiveConsumer>>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly context = new AsyncLocalStorage<ActiveConsumer>();
  private closed = false;
  /** Publish calls waiting right now. */
  waiting = 0;
  /** Publish calls that had to wait, since open. */
  waits = 0;

  constructor(
    private readonly maxLag: number,
    /** The offset the next record appended to `topic` will get. */
    private readonly end: (topic: string) => number,
    private readonly fallbackMs = 1000,
  ) {}

  register(topic: string, group: string, position: number): ActiveConsumer {
    const consumer: ActiveConsumer = { topic, group, position, waitingOn: new Map() };
    let set = this.consumers.get(topic);
    if (!set) this.consumers.set(topic, (set = new Set()));
    set.add(consumer);
    return consumer;
  }

  /** How many records each active consumer is behind its topic's end. */
  lags(): { group: string; topic: string; lag: number }[] {
    const out: { group: string; topic: string; lag: number }[] = [];
    for (const [topic, set] of this.consumers) for (const c of set) out.push({ group: c.group, topic, lag: Math.max(0, this.end(topic) - c.position) });
    return out;
  }

  /** The lowest position of the topic's active consumers: nothing below it is still to be read here (Infinity without any). */
  lowestPosition(topic: string): number {
    let lowest = Infinity;
    const set = this.consumers.get(topic);
    if (set) for (const c of set) if (c.position < lowest) lowest = c.position;
    return lowest;
  }

  unregister(consumer: ActiveConsumer): void {
    if (this.consumers.get(consumer.topic)?.delete(consumer)) this.wakeAll();
  }

  /** Records that `consumer` has handled everything below `position`. */
  advance(consumer: ActiveConsumer, position: number): void {
    consumer.position = position;
    if (this.waiters.get(consumer.topic)?.size) this.recheck(consumer.topic);
  }

  /** Runs `fn` (a consumer's delivery loop) so that the publishes it makes are attributed to `consumer`. */
  runAs<T>(consumer: ActiveConsumer, fn: () => Promise<T>): Promise<T> {
    // Without a bound there is nothing to attribute (and AsyncLocalStorage costs every promise a hook).
    return this.maxLag === Infinity ? fn() : this.context.run(consumer, fn);
  }

  /** True when another active consumer of the topic has not yet read `offset` (it will read it). */
  othersBefore(consumer: ActiveConsumer, offset: number): boolean {
    const set = this.consumers.get(consumer.topic);
    if (!set || set.size < 2) return false;
    for (const c of set) if (c !== consumer && c.position <= offset) return true;
    return false;
  }

  /** Whether a publish to `topic` has to wait now. */
  blocked(topic: string): boolean {
    if (this.closed || this.maxLag === Infinity) return false;
    const set = this.consumers.get(topic);
    if (!set) return false;
    const end = this.end(topic);
    for (const c of set) {
      if (end - c.position > this.maxLag && !this.dependsOn(c, topic, new Set())) return true;
    }
    return false;
  }

  /** Resolves once a publish to `topic` may append (at once when it is not blocked). */
  async admit(topic: string): Promise<void> {
    if (!this.blocked(topic)) return;
    const me = this.context.getStore();
    if (me) {
      me.waitingOn.set(topic, (me.waitingOn.get(topic) ?? 0) + 1);
      // Other topics may have been waiting on `me`, which now waits on `topic`: look again.
      this.wakeAll();
    }
    this.waiting++;
    this.waits++;
    try {
      while (this.blocked(topic)) await this.waitOnce(topic);
    } finally {
      this.waiting--;
      if (me) {
        const n = (me.waitingOn.get(topic) ?? 1) - 1;
        if (n > 0) me.waitingOn.set(topic, n);
        else me.waitingOn.delete(topic);
      }
    }
  }

  /** Releases every waiting publish (they then meet a closed bus). */
  close(): void {
    this.closed = true;
    this.wakeAll();
  }

  /** Whether `consumer` waits (transitively, through over-bound consumers) on `target`. */
  private dependsOn(consumer: ActiveConsumer, target: string, seen: Set<string>): boolean {
    for (const topic of consumer.waitingOn.keys()) {
      if (topic === target) return true;
      if (seen.has(topic)) continue;
      seen.add(topic);
      const set = this.consumers.get(topic);
      if (!set) continue;
      const end = this.end(topic);
      for (const c of set) {
        if (c !== consumer && end - c.position > this.maxLag && this.dependsOn(c, target, seen)) return true;
      }
    }
    return false;
  }

  private waitOnce(topic: string): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(topic);
      if (!set) this.waiters.set(topic, (set = new Set()));
      const waiters = set;
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.fallbackMs);
      waiters.add(done);
    });
  }

  private recheck(topic: string): void {
    const set = this.waiters.get(topic);
    if (!set || set.size === 0 || this.blocked(topic)) return;
    for (const wake of [...set]) wake();
  }

  private wakeAll(): void {
    for (const topic of [...this.waiters.keys()]) this.recheck(topic);
  }
}
