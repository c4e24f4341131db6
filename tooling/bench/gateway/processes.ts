// Child processes for the benchmark: each is started here, remembered by PID, and stopped by PID
// (with whatever it forked) at the end of the run, also when a stage fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A child process the benchmark started and must stop. */
export interface ChildHandle {
  /** A short name for messages ("upstream", "switchboard", "portkey"). */
  name: string;
  pid: number;
  child: ChildProcess;
  /** The last few kilobytes of its stdout and stderr, for error messages. */
  recentOutput(): string;
  /** Resolves with the exit code (or null after a signal) once the process has exited. */
  exited: Promise<number | null>;
  /** Stops it and its descendants: SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

const running = new Set<ChildHandle>();
// Short commands (the CLI) in flight, killed by PID if the run is stopped under them.
const runningCommands = new Set<number>();
// Set once cleanup starts: a stage still running must not start anything new after it.
let stopping = false;

function refuseWhenStopping(name: string): void {
  if (stopping) throw new Error(`not starting ${name}: the benchmark is stopping`);
}
const outputLimit = 8_000;

/** The fields of `/proc/PID/stat` after the command name, from `state` (index 0) on. */
export function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name is in parentheses and may itself contain spaces or parentheses.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU time (user and system) a process and every process below it used so far, in microseconds. */
export function treeCpuMicros(rootPid: number): number {
  let total = 0;
  for (const pid of processTree(rootPid)) {
    try {
      const fields = statFields(pid);
      // utime and stime, in clock ticks (USER_HZ is 100 on Linux).
      total += (Number(fields[11]) + Number(fields[12])) * 10_000;
    } catch {
      // The process ended meanwhile.
    }
  }
  return total;
}

/**
 * CPU time (user and system) of a process's main thread so far, in microseconds: for Node, the
 * event loop's thread, which bounds a server's throughput when the machine has cores to spare
 * (its other threads, the GC's helpers and libuv's pool, run beside it).
 */
export function mainThreadCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function parentOf(pid: number): number | undefined {
  try {
    return Number(statFields(pid)[1]);
  } catch {
    return undefined;
  }
}

/** The PIDs of a process and every process below it (cluster workers, spawned helpers). */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const parent = parentOf(pid);
    if (parent === undefined) continue;
    const list = children.get(parent) ?? [];
    list.push(pid);
    children.set(parent, list);
  }
  const tree: number[] = [];
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop() as number;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resident memory of a process tree right now, in kB (sum of VmRSS; shared pages count once per process). */
export function treeRssKb(rootPid: number): number {
  return processTree(rootPid).reduce((sum, pid) => sum + statusField(pid, 'VmRSS'), 0);
}

/**
 * Proportional memory of a process tree right now, in kB (sum of Pss): pages shared between the
 * processes (a cluster's primary and workers share Node's code) count once in total, not once each.
 */
export function treePssKb(rootPid: number): number {
  return processTree(rootPid).reduce((sum, pid) => {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const match = /^Pss:\s+(\d+) kB/m.exec(rollup);
      return sum + (match ? Number(match[1]) : 0);
    } catch {
      return sum;
    }
  }, 0);
}

/** Peak resident memory of a process tree over its life, in kB (sum of each process's VmHWM). */
export function treePeakRssKb(rootPid: number): number {
  return processTree(rootPid).reduce((sum, pid) => sum + statusField(pid, 'VmHWM'), 0);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a long-running child and registers it for stopAllChildren(). */
export function startChild(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): ChildHandle {
  refuseWhenStopping(name);
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  let output = '';
  const keep = (data: Buffer) => {
    output = (output + data.toString('utf8')).slice(-outputLimit);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pid = child.pid;
  let stopping: Promise<void> | undefined;
  const handle: ChildHandle = {
    name,
    pid,
    child,
    recentOutput: () => output,
    exited,
    stop() {
      stopping ??= (async () => {
        const tree = processTree(pid);
        if (child.exitCode === null && child.signalCode === null) {
          process.kill(pid, 'SIGTERM');
          const timedOut = await Promise.race([
            exited.then(() => false),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 5_000)),
          ]);
          if (timedOut && alive(pid)) process.kill(pid, 'SIGKILL');
          await exited;
        }
        // Whatever it forked and left behind goes too.
        for (const descendant of tree)
          if (descendant !== pid && alive(descendant)) process.kill(descendant, 'SIGKILL');
        running.delete(handle);
      })();
      return stopping;
    },
  };
  running.add(handle);
  return handle;
}

/** Stops every child still running, each by its PID. */
export async function stopAllChildren(): Promise<void> {
  stopping = true;
  for (const pid of runningCommands) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await Promise.all([...running].map((handle) => handle.stop().catch(() => undefined)));
}

/** The result of a short command run to completion. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by timeoutMs), capturing its output. */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<CommandResult> {
  refuseWhenStopping(command);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    if (pid !== undefined) runningCommands.add(pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString('utf8');
    });
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString('utf8');
    });
    const timer = setTimeout(() => {
      if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      if (pid !== undefined) runningCommands.delete(pid);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (pid !== undefined) runningCommands.delete(pid);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A TCP port free on 127.0.0.1 right now (for servers that need a port before they start). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls check() until it returns a value, the child exits, or the time is up. */
export async function waitUntil<T>(
  description: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; child?: ChildHandle },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (options.child && (options.child.child.exitCode !== null || options.child.child.signalCode !== null)) {
      throw new Error(
        `${options.child.name} exited (code ${options.child.child.exitCode}) while waiting for ${description}:\n${options.child.recentOutput()}`,
      );
    }
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${description}`);
}
