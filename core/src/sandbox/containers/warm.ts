/**
 * A warm pool of single-use script containers.
 *
 * A container is created, attached and started ahead of time; its bootstrap then blocks on stdin
 * (see protocol.ts), so taking one skips create + start + interpreter boot. Containers are keyed by
 * everything in their config (image, trust, memory, cpus, pids): a request only takes a container
 * made for exactly its settings. Each container is used at most once; taking one schedules a
 * replacement in the background. A key is warmed the first time it is used (that call is cold)
 * or up front with `prewarm`.
 */

export interface WarmItem {
  /** True once the container's attach stream has ended (it died while idle). */
  readonly ended: boolean;
  /** Date.now() when it was created. */
  readonly createdAt: number;
}

export class WarmPool<Spec, Item extends WarmItem> {
  private readonly idle = new Map<string, Item[]>();
  private readonly creating = new Map<string, number>();
  private readonly specs = new Map<string, Spec>();
  private readonly pending = new Set<Promise<void>>();
  private closed = false;
  /** The last error creating a warm container (for health reporting); cleared on success. */
  lastError: unknown = undefined;

  constructor(
    private readonly size: number,
    private readonly keyOf: (spec: Spec) => string,
    private readonly create: (spec: Spec) => Promise<Item>,
    private readonly destroy: (item: Item) => Promise<void>,
    /** Idle containers older than this are not used (e.g. the image tag was rebuilt meanwhile). */
    private readonly maxIdleMs = 10 * 60_000,
  ) {}

  /** A ready container for `spec`, or undefined (the caller creates one). Starts a refill. */
  take(spec: Spec): Item | undefined {
    if (this.size <= 0 || this.closed) return undefined;
    const key = this.keyOf(spec);
    this.specs.set(key, spec);
    const list = this.idle.get(key) ?? [];
    let item: Item | undefined;
    const now = Date.now();
    while ((item = list.shift()) !== undefined && (item.ended || now - item.createdAt > this.maxIdleMs)) {
      this.track(this.destroy(item));
    }
    this.refill(key);
    return item;
  }

  /** Fills the pool for `spec` and waits until it is full (or creation failed). */
  async prewarm(spec: Spec): Promise<void> {
    if (this.size <= 0 || this.closed) return;
    const key = this.keyOf(spec);
    this.specs.set(key, spec);
    this.refill(key);
    await Promise.all([...this.pending]);
  }

  /** Number of idle containers (all keys). */
  get idleCount(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  /** Stops refilling and destroys every idle container (waits for in-flight creations too). */
  async close(): Promise<void> {
    this.closed = true;
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    const items = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(items.map((item) => this.destroy(item)));
  }

  private refill(key: string): void {
    const spec = this.specs.get(key);
    if (spec === undefined) return;
    const have = (this.idle.get(key)?.length ?? 0) + (this.creating.get(key) ?? 0);
    for (let i = have; i < this.size; i++) {
      this.creating.set(key, (this.creating.get(key) ?? 0) + 1);
      this.track(
        this.create(spec)
          .then(async (item) => {
            this.lastError = undefined;
            if (this.closed) return this.destroy(item);
            const list = this.idle.get(key) ?? [];
            list.push(item);
            this.idle.set(key, list);
          })
          .catch((error: unknown) => {
            // No retry loop: the next take() tries again.
            this.lastError = error;
          })
          .finally(() => this.creating.set(key, (this.creating.get(key) ?? 1) - 1)),
      );
    }
  }

  private track(promise: Promise<void>): void {
    const p = promise.catch(() => undefined).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }
}
