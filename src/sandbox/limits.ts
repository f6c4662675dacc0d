import { UsageError } from '../errors/index.js';

/** What one run of sandboxed code may consume. Exceeding any of them ends the run with a SandboxLimitError. */
export interface SandboxLimits {
  /** Wall-clock time for the whole run, tool calls included. Default 10 000 ms. */
  timeMs: number;
  /**
   * CPU budget in interrupt ticks: QuickJS calls its interrupt handler about once per 5 000 loop
   * iterations or calls, so a tick is a deterministic unit of work (a replay hits the limit at the same
   * point, unlike a timer). Default 20 000 (about 100 million simple loop iterations).
   */
  cpuTicks: number;
  /** Heap of the JavaScript engine, in bytes. Default 32 MiB. */
  memoryBytes: number;
  /** Stack of the JavaScript engine, in bytes (deep recursion). Default 256 KiB. */
  stackBytes: number;
  /** Bytes of console output, and separately of the returned value as JSON. Default 64 KiB. */
  outputBytes: number;
  /** Tool calls in one run. Default 100. */
  toolCalls: number;
}

export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  timeMs: 10_000,
  cpuTicks: 20_000,
  memoryBytes: 32 * 1024 * 1024,
  stackBytes: 256 * 1024,
  outputBytes: 64 * 1024,
  toolCalls: 100,
});

const BOUNDS: Record<keyof SandboxLimits, [number, number]> = {
  timeMs: [1, 3_600_000],
  cpuTicks: [1, 10_000_000],
  memoryBytes: [1024 * 1024, 2 * 1024 * 1024 * 1024 - 1],
  stackBytes: [16 * 1024, 8 * 1024 * 1024],
  outputBytes: [0, 64 * 1024 * 1024],
  toolCalls: [0, 1_000_000],
};

/** Fills in defaults and refuses limits that are not finite integers in range. */
export function resolveLimits(...layers: (Partial<SandboxLimits> | undefined)[]): SandboxLimits {
  const limits: SandboxLimits = { ...DEFAULT_SANDBOX_LIMITS };
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const [key, value] of Object.entries(layer) as [keyof SandboxLimits, unknown][]) {
      if (value === undefined) continue;
      const bounds = BOUNDS[key];
      if (bounds === undefined) {
        throw new UsageError(`Unknown sandbox limit "${key}"`, `Known limits: ${Object.keys(BOUNDS).join(', ')}.`, { limit: key });
      }
      if (typeof value !== 'number' || !Number.isInteger(value) || value < bounds[0] || value > bounds[1]) {
        throw new UsageError(`Sandbox limit ${key} = ${String(value)} is out of range`, `Use an integer from ${bounds[0]} to ${bounds[1]}.`, {
          limit: key,
          value: String(value),
        });
      }
      limits[key] = value;
    }
  }
  return limits;
}
