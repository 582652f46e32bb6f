// Runs ffmpeg or ffprobe as a child process with an argument array and a hard timeout, feeding it
// stdin when given and collecting stdout. Never goes through a shell, never outlives its timeout.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

const STDERR_KEEP = 8 * 1024;

export type ToolRun = {
  stdout: Buffer;
  stderr: string;
};

export class ToolFailed extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | null,
    /** The tail of what the tool wrote to stderr. */
    readonly stderr: string,
  ) {
    super(`${tool} exited with code ${exitCode}: ${stderr.trim().split('\n').at(-1) ?? ''}`);
  }
}

export class ToolTimedOut extends Error {
  constructor(
    readonly tool: string,
    readonly timeoutMs: number,
  ) {
    super(`${tool} did not finish within ${timeoutMs} ms`);
  }
}

function collect(stream: Readable | null | undefined): () => Buffer {
  const chunks: Buffer[] = [];
  stream?.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks);
}

export function runTool(tool: string, args: string[], options: { timeoutMs: number; stdin?: Buffer }): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, {
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    });
    // A tool that exits without reading all of its input closes the pipe: that is its exit code's business.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.stdin);
    const stdout = collect(child.stdout);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-STDERR_KEEP);
    });
    child.once('error', (error) => reject(new Error(`cannot run ${tool}: ${error.message}`)));
    // 'close' (not 'exit') so stdout has been read to its end.
    child.once('close', (code, signal) => {
      if (signal === 'SIGKILL' && code === null) reject(new ToolTimedOut(tool, options.timeoutMs));
      else if (code !== 0) reject(new ToolFailed(tool, code, stderr));
      else resolve({ stdout: stdout(), stderr });
    });
  });
}
