/**
 * Purge for open-source nginx, which has no purge API (`proxy_cache_purge` is a commercial
 * feature): the edge agent deletes the cache files whose key the request names, and nginx's next
 * request for each of those keys is a MISS that refetches it from the origin.
 *
 * How nginx lays out its cache (`proxy_cache_path ... levels=1:2`): a file per entry named by the
 * md5 of its key (32 lower-case hex characters) in `<last hex char>/<the two before>/`; the file
 * starts with a binary header, then the line `\nKEY: <key>\n`, then the response's headers and body.
 * Files being written have a `.NNNNNNNNNN` suffix and are renamed into place once complete, so
 * every file named by 32 hex characters is a complete entry. The key is not recoverable from the
 * name (a hash), and one path has an entry per query and cookie variant, so a purge reads the key
 * of every entry: the first 8 KiB of each file. nginx caches a response only when its header and
 * key fit in `proxy_buffer_size` (4 or 8 KiB by default), so that is the whole key unless the edge
 * raises it; a longer key is read further only when its start does not decide (see purgeDecision).
 *
 * Keys are compared as bytes (latin1 strings on both sides): nginx writes `$uri` decoded, as the
 * UTF-8 bytes the client sent, and the request's path is compared as its UTF-8 bytes.
 */
import type { Dirent } from 'node:fs';
import { open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  cacheKeyPurgedBy,
  MAX_PURGE_PATH_LENGTH,
  PURGE_RESULT_SCHEMA,
  type PurgeRequest,
  type PurgeResult,
} from '../functions/domain/edge-agent-contract';

const KEY_MARKER = Buffer.from('\nKEY: ', 'latin1');
const NEWLINE = 0x0a;
/** nginx's binary header is a few hundred bytes; most keys end well within this. */
const FIRST_READ_BYTES = 8192;
/** nginx records where the headers start in 16 bits: a key line that has not ended by then is not nginx's. */
const MAX_KEY_LINE_END = 65_536;
/** Cache files read at once. */
const PARALLEL_READS = 8;

/** The file system calls a purge makes: node:fs's, or a test's that plays nginx's cache manager. */
export interface CacheFileSystem {
  list(directory: string): Promise<Dirent[]>;
  openForReading(file: string): Promise<FileHandle>;
  remove(file: string): Promise<void>;
}

export const NODE_FILE_SYSTEM: CacheFileSystem = {
  list: (directory) => readdir(directory, { withFileTypes: true }),
  openForReading: (file) => open(file, 'r'),
  remove: (file) => unlink(file),
};

const LEVEL_1 = /^[0-9a-f]$/;
const LEVEL_2 = /^[0-9a-f]{2}$/;
const ENTRY = /^[0-9a-f]{32}$/;

/**
 * Whether an entry whose key starts with `keyStart` is purged by `request`; undefined when that
 * start does not decide it. The whole key (`complete`) always decides. A start longer than the
 * path decides too: it holds every character that `cacheKeyPurgedBy` compares (the path and the
 * one after it, `?`, space or anything else), and the key, longer than the path, is not the path.
 * A start as long as the path or shorter might still become the path, or the path and a `?`
 * (for a prefix purge, a start as long as the path decides).
 */
export function purgeDecision(keyStart: string, complete: boolean, request: PurgeRequest): boolean | undefined {
  // A prefix purge compares the path's characters only.
  const decisive = request.prefix ? keyStart.length >= request.path.length : keyStart.length > request.path.length;
  return complete || decisive ? cacheKeyPurgedBy(keyStart, request) : undefined;
}

/** Deletes every entry of the cache in `cacheDir` that `request` purges (one pass; see createCachePurger). */
export async function purgeCache(
  cacheDir: string,
  request: PurgeRequest,
  files: CacheFileSystem = NODE_FILE_SYSTEM,
): Promise<PurgeResult> {
  // Keys are read as latin1 (one character per byte): compare the path's UTF-8 bytes the same way.
  const byteRequest: PurgeRequest = {
    path: Buffer.from(request.path, 'utf8').toString('latin1'),
    prefix: request.prefix,
  };
  let scannedEntries = 0;
  let purgedEntries = 0;
  for (const directory of await entryDirectories(cacheDir, files)) {
    const names = matching(await listIfPresent(directory, files), ENTRY, 'file');
    await inParallel(names, PARALLEL_READS, async (name) => {
      const file = join(directory, name);
      const purged = await entryPurged(file, byteRequest, files);
      if (purged === undefined) return;
      scannedEntries++;
      if (purged && (await removeEntry(file, files))) purgedEntries++;
    });
  }
  return { schema: PURGE_RESULT_SCHEMA, purgedEntries, scannedEntries };
}

export interface CachePurger {
  /** Purges the cache; purges run one at a time, in the order they were asked for. */
  purge(request: PurgeRequest): Promise<PurgeResult>;
}

/** Purges of the cache in `cacheDir`, serialized: two overlapping purges would read every entry twice at once. */
export function createCachePurger(cacheDir: string, files: CacheFileSystem = NODE_FILE_SYSTEM): CachePurger {
  let last: Promise<unknown> = Promise.resolve();
  return {
    purge(request) {
      const run = last.then(() => purgeCache(cacheDir, request, files));
      last = run.catch(() => undefined);
      return run;
    },
  };
}

export type PurgeRequestCheck = { ok: true; request: PurgeRequest } | { ok: false; error: string };

const PURGE_EXAMPLE = '{"path": "/images/logo.png", "prefix": false}';

/** The purge request in a `POST /purge` body, or what is wrong with it and how to fix it. */
export function parsePurgeRequest(body: string): PurgeRequestCheck {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, error: `the body is not JSON: send ${PURGE_EXAMPLE}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, error: `the body must be a JSON object, e.g. ${PURGE_EXAMPLE}` };
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((field) => field !== 'path' && field !== 'prefix');
  if (unknown.length > 0)
    return { ok: false, error: `unknown field ${unknown[0]}: a purge request has only path and prefix` };
  const { path, prefix } = fields;
  if (typeof path !== 'string')
    return { ok: false, error: 'path is missing or not a string: give the path to purge, e.g. "/images/logo.png"' };
  if (!path.startsWith('/'))
    return {
      ok: false,
      error: `path ${JSON.stringify(path.slice(0, 100))} does not start with "/": give the request's path without scheme or host, e.g. "/images/logo.png"`,
    };
  if (path.length > MAX_PURGE_PATH_LENGTH)
    return {
      ok: false,
      error: `path is ${path.length} characters long: at most ${MAX_PURGE_PATH_LENGTH}; purge a shorter prefix of it with prefix true`,
    };
  if (typeof prefix !== 'boolean')
    return {
      ok: false,
      error:
        'prefix must be true or false: true purges every path that starts with path, false the path itself (each of its query and cookie variants)',
    };
  return { ok: true, request: { path, prefix } };
}

/** The `<c>/<cc>` directories of the cache (`levels=1:2`). */
async function entryDirectories(cacheDir: string, files: CacheFileSystem): Promise<string[]> {
  let root: Dirent[];
  try {
    root = await files.list(cacheDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(
        `the cache directory ${cacheDir} does not exist: set EDGE_CACHE_DIR to nginx's proxy_cache_path, mounted in the agent's container`,
        { cause: error },
      );
    throw error;
  }
  const directories: string[] = [];
  for (const name of matching(root, LEVEL_1, 'directory')) {
    const parent = join(cacheDir, name);
    for (const child of matching(await listIfPresent(parent, files), LEVEL_2, 'directory'))
      directories.push(join(parent, child));
  }
  return directories;
}

/** What `directory` holds; nothing when it has vanished (nginx's cache manager removes what expires while a purge runs). */
async function listIfPresent(directory: string, files: CacheFileSystem): Promise<Dirent[]> {
  try {
    return await files.list(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function matching(entries: Dirent[], pattern: RegExp, kind: 'file' | 'directory'): string[] {
  return entries
    .filter((entry) => pattern.test(entry.name) && (kind === 'file' ? entry.isFile() : entry.isDirectory()))
    .map((entry) => entry.name);
}

/** Whether the entry in `file` is purged by `request`; undefined when it has vanished or has no key line (not an entry nginx wrote). */
async function entryPurged(file: string, request: PurgeRequest, files: CacheFileSystem): Promise<boolean | undefined> {
  let handle: FileHandle;
  try {
    handle = await files.openForReading(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    let data = Buffer.alloc(0);
    let keyStart = -1;
    for (;;) {
      const chunk = Buffer.allocUnsafe(data.length === 0 ? FIRST_READ_BYTES : data.length);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, data.length);
      data = Buffer.concat([data, chunk.subarray(0, bytesRead)]);
      if (keyStart < 0) {
        const marker = data.indexOf(KEY_MARKER);
        // The marker sits right after the binary header, well within the first read.
        if (marker < 0) return undefined;
        keyStart = marker + KEY_MARKER.length;
      }
      const keyEnd = data.indexOf(NEWLINE, keyStart);
      const decision = purgeDecision(
        data.toString('latin1', keyStart, keyEnd < 0 ? data.length : keyEnd),
        keyEnd >= 0,
        request,
      );
      if (decision !== undefined) return decision;
      if (bytesRead === 0 || data.length >= MAX_KEY_LINE_END) return undefined;
    }
  } finally {
    await handle.close();
  }
}

/** Deletes an entry; false when it had vanished already. */
async function removeEntry(file: string, files: CacheFileSystem): Promise<boolean> {
  try {
    await files.remove(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Runs `task` on every item, at most `limit` at a time. */
async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
