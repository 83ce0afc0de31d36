import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_PURGE_PATH_LENGTH } from '../../../functions/domain/edge-agent-contract';
import {
  createCachePurger,
  NODE_FILE_SYSTEM,
  parsePurgeRequest,
  purgeCache,
  purgeDecision,
  type CacheFileSystem,
} from '../../../edge/cache-purge';
import { PURGE_RESULT_SCHEMA } from '../../../functions/domain/edge-agent-contract';
import { cacheFileName, cacheFilePath, writeCacheEntry } from '../../support/nginx-cache-entry';

function cacheWith(keys: string[]): string {
  const cacheDir = mkdtempSync(join(tmpdir(), 'cache-purge-'));
  for (const key of keys) writeCacheEntry(cacheDir, key);
  return cacheDir;
}

/** The keys of `keys` whose entries are still in the cache. */
const remaining = (cacheDir: string, keys: string[]) => keys.filter((key) => existsSync(cacheFilePath(cacheDir, key)));

describe('purgeCache on a cache laid out as nginx writes it', () => {
  const keys = [
    '/a',
    '/a?',
    '/a?x=1',
    '/a? cookies=',
    '/a cookies=session=1',
    '/a?x=1 cookies=session=2',
    '/a/b',
    '/a/b?x=1',
    '/ab',
    '/b',
    '/b?from=/a',
    '/b cookies=path=/a',
  ];

  it('purges a path in every query and cookie variant, and nothing else: not /a/b nor /ab for /a', async () => {
    const cacheDir = cacheWith(keys);
    expect(await purgeCache(cacheDir, { path: '/a', prefix: false })).toEqual({
      schema: PURGE_RESULT_SCHEMA,
      purgedEntries: 6,
      scannedEntries: keys.length,
    });
    expect(remaining(cacheDir, keys)).toEqual(['/a/b', '/a/b?x=1', '/ab', '/b', '/b?from=/a', '/b cookies=path=/a']);
    // Again: nothing left to purge.
    expect(await purgeCache(cacheDir, { path: '/a', prefix: false })).toMatchObject({
      purgedEntries: 0,
      scannedEntries: 6,
    });
  });

  it('purges every path under a prefix, in every variant', async () => {
    const cacheDir = cacheWith([...keys, '/img/logo.png', '/img/logo.png?v=2', '/img?v=1', '/images/x.png']);
    expect(await purgeCache(cacheDir, { path: '/a', prefix: true })).toMatchObject({ purgedEntries: 9 });
    expect(remaining(cacheDir, keys)).toEqual(['/b', '/b?from=/a', '/b cookies=path=/a']);

    expect(await purgeCache(cacheDir, { path: '/img/', prefix: true })).toMatchObject({ purgedEntries: 2 });
    expect(remaining(cacheDir, ['/img/logo.png', '/img/logo.png?v=2', '/img?v=1', '/images/x.png'])).toEqual([
      '/img?v=1',
      '/images/x.png',
    ]);
    // "/" purges the whole cache.
    expect(await purgeCache(cacheDir, { path: '/', prefix: true })).toMatchObject({
      purgedEntries: 5,
      scannedEntries: 5,
    });
  });

  it('reads only entries: temp files, misplaced files and other names are neither read nor deleted', async () => {
    const cacheDir = cacheWith(['/a', '/b']);
    const others = [
      // nginx's temp file of an entry being written, and one of the cache loader's.
      writeCacheEntry(cacheDir, '/a?x=1', { suffix: '.0000000001' }),
      writeCacheEntry(cacheDir, '/a?x=2', { suffix: '.tmp' }),
    ];
    const name = cacheFileName('/a?x=3');
    const misplaced = [
      join(cacheDir, name), // in the cache's root
      join(cacheDir, name.slice(31), name), // one level deep
      join(cacheDir, name.slice(31), name.slice(29, 31), 'x', name), // a level too deep
      join(cacheDir, name.slice(31), name.slice(29, 31), name.toUpperCase()),
      join(cacheDir, 'g', name.slice(29, 31), name), // not a hex level
      join(cacheDir, name.slice(31), 'abc', name), // a level of 3
    ];
    for (const file of misplaced) {
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, '\nKEY: /a?x=3\n');
    }
    // Named like an entry, but no KEY line: not a file nginx wrote.
    const noKey = join(cacheDir, name.slice(31), name.slice(29, 31), name);
    writeFileSync(noKey, Buffer.alloc(4000, 1));

    expect(await purgeCache(cacheDir, { path: '/', prefix: true })).toEqual({
      schema: PURGE_RESULT_SCHEMA,
      purgedEntries: 2,
      scannedEntries: 2,
    });
    expect(remaining(cacheDir, ['/a', '/b'])).toEqual([]);
    for (const file of [...others, ...misplaced, noKey]) expect(existsSync(file)).toBe(true);
  });

  it('purges an empty cache', async () => {
    expect(await purgeCache(cacheWith([]), { path: '/', prefix: true })).toEqual({
      schema: PURGE_RESULT_SCHEMA,
      purgedEntries: 0,
      scannedEntries: 0,
    });
  });

  it('decides a key of many KiB from its first 8 KiB when they are longer than the path', async () => {
    const cookies = ` cookies=session=${'c'.repeat(20_000)}`;
    const longKeys = [`/a${cookies}`, `/a?x=1${cookies}`, `/ab${cookies}`, `/a/b${cookies}`];
    const reads: number[] = [];
    const files: CacheFileSystem = {
      ...NODE_FILE_SYSTEM,
      openForReading: async (file) => {
        const handle = await NODE_FILE_SYSTEM.openForReading(file);
        const read = handle.read.bind(handle);
        handle.read = ((...args: Parameters<typeof read>) => {
          reads.push(1);
          return read(...args);
        }) as typeof handle.read;
        return handle;
      },
    };
    const cacheDir = cacheWith(longKeys);
    expect(await purgeCache(cacheDir, { path: '/a', prefix: false }, files)).toMatchObject({
      purgedEntries: 2,
      scannedEntries: 4,
    });
    expect(remaining(cacheDir, longKeys)).toEqual([`/ab${cookies}`, `/a/b${cookies}`]);
    expect(reads).toHaveLength(4); // one read per entry
  });

  it('reads further a key cut off at 8 KiB whose start is not longer than the path', async () => {
    // A path of 9,000 characters: the first 8 KiB of the file end inside it.
    const path = `/${'p'.repeat(8999)}`;
    const longKeys = [`${path}?q=1`, `${path}x?q=1`, `${path} cookies=s=1`, path];
    const cacheDir = cacheWith(longKeys);
    expect(await purgeCache(cacheDir, { path, prefix: false })).toMatchObject({ purgedEntries: 3, scannedEntries: 4 });
    expect(remaining(cacheDir, longKeys)).toEqual([`${path}x?q=1`]);

    const other = cacheWith(longKeys);
    // One character short of the path: every key starts with it, none is it or it and a "?" or a space.
    expect(await purgeCache(other, { path: path.slice(0, -1), prefix: false })).toMatchObject({ purgedEntries: 0 });
    expect(await purgeCache(other, { path: path.slice(0, -1), prefix: true })).toMatchObject({ purgedEntries: 4 });
  });

  it('compares keys and paths as UTF-8 bytes, also where 8 KiB cut a character in two', async () => {
    // 2 bytes per "é": the first read (7,850 bytes of the key) ends in the middle of one.
    const path = `/ca${'é'.repeat(5000)}`;
    const cacheDir = cacheWith([`${path}?x=1`, `${path}é`, '/café?x=1', '/cafe']);
    expect(await purgeCache(cacheDir, { path, prefix: false })).toMatchObject({ purgedEntries: 1 });
    expect(await purgeCache(cacheDir, { path: '/café', prefix: false })).toMatchObject({ purgedEntries: 1 });
    expect(remaining(cacheDir, [`${path}?x=1`, `${path}é`, '/café?x=1', '/cafe'])).toEqual([`${path}é`, '/cafe']);
    expect(await purgeCache(cacheDir, { path: '/ca', prefix: true })).toMatchObject({ purgedEntries: 2 });

    // A prefix whose last character is the one cut in two: as text, the key's start would be as
    // long as the prefix and end in a broken character; as bytes, it is one byte short.
    const cut = `/ca${'é'.repeat(3924)}`;
    const cutCache = cacheWith([`${cut}é?x=1`, `${cut}?x=1`]);
    expect(await purgeCache(cutCache, { path: cut, prefix: true })).toMatchObject({ purgedEntries: 2 });
  });

  it('treats entries and directories that vanish while it scans (nginx expiring them) as gone, not as errors', async () => {
    const vanishing = { listed: '/gone-dir', opened: '/gone-before-read', removed: '/gone-before-delete' };
    const all = ['/one', '/two', ...Object.values(vanishing)];
    const cacheDir = cacheWith(all);
    const levelDir = (key: string) => join(cacheFilePath(cacheDir, key), '..');
    const files: CacheFileSystem = {
      list: async (directory) => {
        if (directory === levelDir(vanishing.listed)) rmSync(directory, { recursive: true });
        return NODE_FILE_SYSTEM.list(directory);
      },
      openForReading: async (file) => {
        if (file === cacheFilePath(cacheDir, vanishing.opened)) rmSync(file);
        return NODE_FILE_SYSTEM.openForReading(file);
      },
      remove: async (file) => {
        if (file === cacheFilePath(cacheDir, vanishing.removed)) rmSync(file);
        return NODE_FILE_SYSTEM.remove(file);
      },
    };
    // Each entry in a directory of its own.
    expect(new Set(all.map(levelDir)).size).toBe(all.length);

    expect(await purgeCache(cacheDir, { path: '/', prefix: true }, files)).toEqual({
      schema: PURGE_RESULT_SCHEMA,
      // Read, but deleted by someone else first.
      purgedEntries: 2,
      scannedEntries: 3,
    });
    expect(remaining(cacheDir, all)).toEqual([]);
  });

  it('fails, with the fix, when the cache directory does not exist', async () => {
    const missing = join(tmpdir(), 'no-such-cache-dir-for-purge');
    await expect(purgeCache(missing, { path: '/a', prefix: false })).rejects.toThrow(
      `the cache directory ${missing} does not exist: set EDGE_CACHE_DIR to nginx's proxy_cache_path, mounted in the agent's container`,
    );
  });

  it('fails on a file it may not read: a purge that cannot read the cache is not a purge', async () => {
    const cacheDir = cacheWith(['/a']);
    const files: CacheFileSystem = {
      ...NODE_FILE_SYSTEM,
      openForReading: async (file) => {
        throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
      },
    };
    await expect(purgeCache(cacheDir, { path: '/a', prefix: false }, files)).rejects.toThrow(/^EACCES/);
    expect(remaining(cacheDir, ['/a'])).toEqual(['/a']);
  });
});

describe('purgeDecision', () => {
  it.each([
    // [key start, complete, path, prefix, decision]
    ['/a', true, '/a', false, true],
    ['/a/b', true, '/a', false, false],
    ['/a?x=1', true, '/a', false, true],
    // Cut off, no longer than the path: it may be the path, or the path and more.
    ['/a', false, '/a', false, undefined],
    ['/', false, '/a', false, undefined],
    // Cut off, longer than the path: the character after the path decides.
    ['/a?', false, '/a', false, true],
    ['/a ', false, '/a', false, true],
    ['/a/', false, '/a', false, false],
    ['/b?', false, '/a', false, false],
    // A prefix purge compares the path's characters only.
    ['/a', false, '/a', true, true],
    ['/b', false, '/a', true, false],
    ['/', false, '/a', true, undefined],
    ['/ab', true, '/a', true, true],
  ] as Array<[string, boolean, string, boolean, boolean | undefined]>)(
    '%j (complete %j) for path %j, prefix %j: %j',
    (keyStart, complete, path, prefix, decision) => {
      expect(purgeDecision(keyStart, complete, { path, prefix })).toBe(decision);
    },
  );
});

describe('createCachePurger', () => {
  it('runs one purge at a time, in the order they were asked for', async () => {
    const cacheDir = cacheWith(['/a', '/b']);
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let firstList = true;
    const files: CacheFileSystem = {
      ...NODE_FILE_SYSTEM,
      list: async (directory) => {
        if (directory === cacheDir) {
          events.push('list the cache');
          if (firstList) {
            firstList = false;
            await gate;
          }
        }
        return NODE_FILE_SYSTEM.list(directory);
      },
    };
    const purger = createCachePurger(cacheDir, files);
    const first = purger.purge({ path: '/a', prefix: false }).then((result) => {
      events.push('first done');
      return result;
    });
    const second = purger.purge({ path: '/', prefix: true }).then((result) => {
      events.push('second done');
      return result;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events).toEqual(['list the cache']);
    release();
    expect(await first).toMatchObject({ purgedEntries: 1, scannedEntries: 2 });
    expect(await second).toMatchObject({ purgedEntries: 1, scannedEntries: 1 });
    expect(events).toEqual(['list the cache', 'first done', 'list the cache', 'second done']);
  });

  it('goes on with the next purge after one failed', async () => {
    const purger = createCachePurger(join(tmpdir(), 'no-such-cache-dir-for-purge'));
    await expect(purger.purge({ path: '/a', prefix: false })).rejects.toThrow(/does not exist/);
    await expect(purger.purge({ path: '/a', prefix: false })).rejects.toThrow(/does not exist/);
  });
});

describe('parsePurgeRequest', () => {
  it('reads a path and a prefix flag', () => {
    expect(parsePurgeRequest('{"path": "/images/logo.png", "prefix": false}')).toEqual({
      ok: true,
      request: { path: '/images/logo.png', prefix: false },
    });
    expect(parsePurgeRequest('{"prefix": true, "path": "/"}')).toEqual({
      ok: true,
      request: { path: '/', prefix: true },
    });
  });

  it.each([
    ['an empty body', '', 'the body is not JSON: send {"path": "/images/logo.png", "prefix": false}'],
    ['a form body', 'path=/a', 'the body is not JSON: send {"path": "/images/logo.png", "prefix": false}'],
    ['an array', '["/a"]', 'the body must be a JSON object, e.g. {"path": "/images/logo.png", "prefix": false}'],
    ['null', 'null', 'the body must be a JSON object, e.g. {"path": "/images/logo.png", "prefix": false}'],
    [
      'a misspelt field',
      '{"path": "/a", "prefx": true}',
      'unknown field prefx: a purge request has only path and prefix',
    ],
    [
      'no path',
      '{"prefix": false}',
      'path is missing or not a string: give the path to purge, e.g. "/images/logo.png"',
    ],
    [
      'a path that is a number',
      '{"path": 7, "prefix": false}',
      'path is missing or not a string: give the path to purge, e.g. "/images/logo.png"',
    ],
    [
      'a relative path',
      '{"path": "images/logo.png", "prefix": false}',
      'path "images/logo.png" does not start with "/": give the request\'s path without scheme or host, e.g. "/images/logo.png"',
    ],
    [
      'a URL',
      '{"path": "https://cdn.example.com/a", "prefix": false}',
      'path "https://cdn.example.com/a" does not start with "/": give the request\'s path without scheme or host, e.g. "/images/logo.png"',
    ],
    [
      'a path too long',
      JSON.stringify({ path: `/${'a'.repeat(MAX_PURGE_PATH_LENGTH)}`, prefix: false }),
      `path is ${MAX_PURGE_PATH_LENGTH + 1} characters long: at most ${MAX_PURGE_PATH_LENGTH}; purge a shorter prefix of it with prefix true`,
    ],
    [
      'no prefix',
      '{"path": "/a"}',
      'prefix must be true or false: true purges every path that starts with path, false the path itself (each of its query and cookie variants)',
    ],
    [
      'a prefix that is a string',
      '{"path": "/a", "prefix": "true"}',
      'prefix must be true or false: true purges every path that starts with path, false the path itself (each of its query and cookie variants)',
    ],
  ])('refuses %s, naming the field and the fix', (_, body, error) => {
    expect(parsePurgeRequest(body)).toEqual({ ok: false, error });
  });
});
