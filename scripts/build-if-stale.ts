// Builds what is missing or older than its sources, and nothing else: the web console (web/ →
// web/dist, Vite) for `npm start` and `npm test`, and the compiled service (src/ → dist/, tsc) for
// `npm test`, whose image tests check it. Tests never build themselves: they run in parallel and
// would replace files other tests serve.
import { spawnSync } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
export const webDir = join(root, 'web');

/** The newest change under `dir` (files and directories, so a deleted file counts too). */
async function newestChange(dir: string, skip: string[]): Promise<number> {
  let newest = (await stat(dir)).mtimeMs;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (skip.includes(entry.name)) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestChange(path, skip) : (await stat(path)).mtimeMs);
  }
  return newest;
}

/** Whether `output` is missing or older than the sources (and the lockfile: new tools change output). */
async function stale(output: string, sources: string[], skip: string[]): Promise<boolean> {
  const built = await stat(output).catch(() => undefined);
  if (!built) return true;
  const changes = await Promise.all(sources.map((source) => stat(source).then((s) => (s.isDirectory() ? newestChange(source, skip) : s.mtimeMs))));
  return built.mtimeMs < Math.max(...changes, (await stat(join(root, 'package-lock.json'))).mtimeMs);
}

export const webConsoleStale = () => stale(join(webDir, 'dist', 'index.html'), [webDir], ['dist', 'node_modules']);

/** Returns whether it built. */
export async function buildWebConsoleIfStale(): Promise<boolean> {
  if (!(await webConsoleStale())) return false;
  await build({ root: webDir, logLevel: 'warn' });
  return true;
}

/** Returns whether it built; `tsc -p tsconfig.build.json` into dist/. */
export async function buildServerIfStale(): Promise<boolean> {
  const sources = [join(root, 'src'), join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json')];
  if (!(await stale(join(root, 'dist', 'main.js'), sources, []))) return false;
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`tsc -p tsconfig.build.json exited with ${result.status}`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  (async () => {
    if (await buildWebConsoleIfStale()) console.log('[setup] web console built into web/dist');
    if (process.argv.includes('--server') && (await buildServerIfStale())) console.log('[setup] service compiled into dist/');
  })().catch((error: unknown) => {
    console.error(`[setup] build failed: ${String(error)}`);
    process.exit(1);
  });
}
