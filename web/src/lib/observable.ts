/** A value that components can watch: the page's shared state without a state library. */
import { useEffect, useState } from 'preact/hooks';

export class Observable<T> {
  private listeners = new Set<(v: T) => void>();
  constructor(private value: T) {}

  get(): T {
    return this.value;
  }

  set(next: T | ((v: T) => T)): void {
    const v = typeof next === 'function' ? (next as (v: T) => T)(this.value) : next;
    if (Object.is(v, this.value)) return;
    this.value = v;
    for (const l of [...this.listeners]) l(v);
  }

  subscribe(fn: (v: T) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/** The observable's value, re-rendering when it changes. */
export function useObservable<T>(o: Observable<T>): T {
  const [v, setV] = useState(() => o.get());
  useEffect(() => {
    setV(o.get());
    return o.subscribe(setV);
  }, [o]);
  return v;
}
