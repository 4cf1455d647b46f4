/**
 * Running the PyTorch side (trainer/): a child process whose stdout carries
 * JSON lines ({"event": ...}); stderr is kept for the error message. The
 * interpreter is Debian's (/usr/bin/python3, with python3-torch) unless
 * VITRINE_PYTHON names another.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VitrineError } from '../core/errors.ts';

export const TRAINER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../trainer');

export function pythonPath(): string {
  return process.env.VITRINE_PYTHON ?? '/usr/bin/python3';
}

export interface PyEvent {
  event: string;
  [k: string]: unknown;
}

export interface PyRun {
  code: number;
  events: PyEvent[];
  stderr: string;
}

/** Runs trainer/<script> with `args`; resolves with the exit code (never rejects on a non-zero exit). */
export function runPython(script: string, args: string[], onEvent?: (e: PyEvent) => void, signal?: AbortSignal): Promise<PyRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(pythonPath(), [path.join(TRAINER_DIR, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const events: PyEvent[] = [];
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-20000);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      try {
        const e = JSON.parse(line) as PyEvent;
        events.push(e);
        onEvent?.(e);
      } catch {
        // a line that only looks like JSON: not an event
      }
    });
    const onAbort = () => child.kill('SIGTERM'); // the trainer checkpoints and exits
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) =>
      reject(new VitrineError(`Cannot run ${pythonPath()} (${e.message}); install Debian's python3-torch or set VITRINE_PYTHON`)),
    );
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      resolve({ code: code ?? (sig ? 128 : 1), events, stderr });
    });
  });
}

/** The last meaningful line of a Python error (the exception), for messages. */
export function pythonError(stderr: string): string {
  const lines = stderr.trim().split('\n').filter((l) => l.trim() && !/Warning|warnings\.warn/.test(l));
  return lines[lines.length - 1]?.trim() ?? 'no error output';
}
