import { readFileSync, rmSync } from 'node:fs';

/** A server started for tests or benchmarks, on loopback, in its own temporary directory. */
export interface RunningService {
  name: 'postgres' | 'redis';
  url: string;
  port: number;
  pid: number;
  /** Temporary directory with the server's data, sockets and log; removed by `stop()`. */
  dir: string;
  /** Stops the server (gracefully, then SIGKILL after 10 s) and removes its directory. */
  stop(): Promise<void>;
}

/** Whether a process is alive (a zombie left to a PID 1 that does not reap counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Signals the process `pid` (that this project started), waits for it to end, then removes `dir`. */
export async function stopProcess(pid: number, signal: NodeJS.Signals, dir: string): Promise<void> {
  const signalIfAlive = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  signalIfAlive(signal);
  const deadline = Date.now() + 10_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      signalIfAlive('SIGKILL');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  for (let attempt = 0; attempt < 20 && isAlive(pid); attempt++) await new Promise((resolve) => setTimeout(resolve, 25));
  rmSync(dir, { recursive: true, force: true });
}

/** The last lines of a server's log, to say why it did not start (empty when there is no log). */
export function logTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}
