import { LRUCache } from 'lru-cache';

export interface LoginThrottleOptions {
  /** Failed logins allowed per source address within `windowMs`. */
  maxPerAddress: number;
  /** Failed logins allowed per username within `windowMs`. */
  maxPerUser: number;
  windowMs: number;
  /** How many addresses and usernames are remembered at most (least recently failed go first). */
  maxEntries?: number;
  now?: () => number;
}

interface Count {
  n: number;
  /** When the window of this count began (its first failure). */
  since: number;
}

/**
 * Counts failed logins per source address and per username over a window. Past either limit, a
 * login is refused before any password work is done. Memory is bounded: at most `maxEntries`
 * counters of each kind, each forgotten `windowMs` after its first failure.
 */
export class LoginThrottle {
  private readonly byAddress: LRUCache<string, Count>;
  private readonly byUser: LRUCache<string, Count>;
  private readonly now: () => number;

  constructor(private readonly options: LoginThrottleOptions) {
    this.byAddress = new LRUCache({ max: options.maxEntries ?? 10_000 });
    this.byUser = new LRUCache({ max: options.maxEntries ?? 10_000 });
    this.now = options.now ?? Date.now;
  }

  /** Why a login from `address` as `username` is refused without a check, or undefined when it may be checked. */
  refusal(address: string, username: string): 'address' | 'user' | undefined {
    if (this.count(this.byAddress, address) >= this.options.maxPerAddress) return 'address';
    if (this.count(this.byUser, username) >= this.options.maxPerUser) return 'user';
    return undefined;
  }

  failed(address: string, username: string): void {
    this.bump(this.byAddress, address);
    this.bump(this.byUser, username);
  }

  size(): { addresses: number; users: number } {
    return { addresses: this.byAddress.size, users: this.byUser.size };
  }

  private count(cache: LRUCache<string, Count>, key: string): number {
    const entry = cache.peek(key);
    if (!entry) return 0;
    if (this.now() - entry.since >= this.options.windowMs) {
      cache.delete(key);
      return 0;
    }
    return entry.n;
  }

  private bump(cache: LRUCache<string, Count>, key: string): void {
    // the window runs from the first failure: later ones count without extending it
    if (this.count(cache, key) > 0) cache.get(key)!.n++;
    else cache.set(key, { n: 1, since: this.now() });
  }
}
