/**
 * Cache files laid out byte for byte as nginx 1.22+ writes them (`proxy_cache_path ... levels=1:2`),
 * for the purge tests that run without nginx: `<dir>/<md5[31]>/<md5[29..30]>/<md5 of the key>`,
 * holding the binary header (ngx_http_file_cache_header_t on 64-bit Linux: 336 bytes), the line
 * `\nKEY: <key>\n`, the upstream's response headers and the body. Checked against the files of a
 * real nginx cache (the header's fields at the same offsets, the key at 0x150).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const HEADER_BYTES = 336;

/** The md5 nginx names the entry of `key` by (of the key's bytes, as nginx writes them: UTF-8 here). */
export function cacheFileName(key: string): string {
  return createHash('md5').update(Buffer.from(key, 'utf8')).digest('hex');
}

/** The path nginx stores the entry of `key` at in `cacheDir` (levels=1:2), with an optional suffix (a temp file's). */
export function cacheFilePath(cacheDir: string, key: string, suffix = ''): string {
  const name = cacheFileName(key);
  return join(cacheDir, name.slice(31), name.slice(29, 31), `${name}${suffix}`);
}

/** The binary header nginx writes first; its numbers hold `\n` bytes, as real ones do now and then. */
function binaryHeader(keyBytes: number, responseHeaderBytes: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  const headerStart = HEADER_BYTES + '\nKEY: '.length + keyBytes + 1;
  header.writeBigUInt64LE(5n, 0); // version
  header.writeBigInt64LE(0x6b0e0a0an, 8); // valid_sec
  header.writeBigInt64LE(-1n, 32); // last_modified: none
  header.writeBigInt64LE(0x6b0ecdb4n, 40); // date
  header.writeUInt32LE(0xc1c97b70, 48); // crc32 of the key
  header.writeUInt16LE(headerStart & 0xffff, 54); // header_start
  header.writeUInt16LE((headerStart + responseHeaderBytes) & 0xffff, 56); // body_start
  header.writeUInt8(5, 58); // etag_len
  header.write('"abc"', 59, 'latin1');
  header.writeUInt8(15, 187); // vary_len
  header.write('Accept-Encoding', 188, 'latin1');
  createHash('md5').update('gzip').digest().copy(header, 316); // variant
  return header;
}

export interface CacheEntryOptions {
  /** Appended to the file name: nginx's temp files are `<md5>.NNNNNNNNNN` until complete. */
  suffix?: string;
  body?: string;
}

/** Writes the entry of `key` as nginx does; returns its path. */
export function writeCacheEntry(cacheDir: string, key: string, options: CacheEntryOptions = {}): string {
  const file = cacheFilePath(cacheDir, key, options.suffix);
  // Headers and body that mention other keys: only the first KEY line names the entry.
  const body = options.body ?? 'a body that quotes\nKEY: /somewhere/else\n';
  const responseHeaders = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Note: KEY: /decoy\r\n\r\n`;
  const keyBytes = Buffer.from(key, 'utf8');
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(
    file,
    Buffer.concat([
      binaryHeader(keyBytes.length, Buffer.byteLength(responseHeaders)),
      Buffer.from('\nKEY: ', 'latin1'),
      keyBytes,
      Buffer.from(`\n${responseHeaders}${body}`, 'utf8'),
    ]),
  );
  return file;
}
