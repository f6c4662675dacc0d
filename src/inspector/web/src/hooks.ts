import { useEffect, useState } from 'preact/hooks';

export type Loadable<T> = { state: 'loading' } | { state: 'error'; error: Error } | { state: 'ready'; value: T };

/** Loads data for a view, again whenever `deps` change; stale answers are dropped. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Loadable<T> {
  const [result, setResult] = useState<Loadable<T>>({ state: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    setResult({ state: 'loading' });
    load(controller.signal).then(
      (value) => !controller.signal.aborted && setResult({ state: 'ready', value }),
      (error: unknown) => !controller.signal.aborted && setResult({ state: 'error', error: error instanceof Error ? error : new Error(String(error)) }),
    );
    return () => controller.abort();
  }, deps);
  return result;
}
