import { describe, expect, it } from '@jest/globals';
import { configProblems, type AutoscalerConfigInput } from '../../../functions/domain/config';
import { DEFAULT_EDGE_IMAGE, DEFAULT_TLS_POLICY } from '../../../functions/domain/edge-config';
import { exampleConfig, exampleRawConfig } from '../../support/config-fixtures';

function problemsWithEdge(edge: Record<string, unknown>): string[] {
  const raw = exampleRawConfig() as AutoscalerConfigInput;
  raw.edge = { originUrl: 'https://origin.example.com', ...edge } as AutoscalerConfigInput['edge'];
  return configProblems(raw);
}

describe('the edge section of the configuration', () => {
  it("defaults to the reference edge's cache rules, TLS, the pinned image and an 85 % hit-rate alarm", () => {
    const { edge } = exampleConfig();
    expect(edge.cache).toEqual({
      images: {
        extensions: ['jpg', 'jpeg', 'png', 'gif', 'ico', 'webp', 'avif', 'svg'],
        ttlSeconds: 86_400,
        key: 'uri',
        serveStale: true,
        browserCache: true,
      },
      assets: {
        extensions: ['css', 'js', 'mjs', 'woff', 'woff2', 'ttf', 'otf'],
        ttlSeconds: 86_400,
        key: 'uri+query',
        serveStale: true,
        browserCache: true,
      },
      video: {
        extensions: ['mp4', 'webm', 'm4s', 'm3u8'],
        ttlSeconds: 604_800,
        key: 'uri',
        serveStale: true,
        browserCache: true,
      },
      html: { ttlSeconds: 300, key: 'uri+cookies', serveStale: true },
      api: {
        pathPrefixes: ['/api/'],
        ttlSeconds: 300,
        key: 'uri+query',
        serveStale: false,
        bypassSessionCookies: true,
      },
      noCache: { pathPrefixes: ['/admin/', '/auth/'] },
      notFoundTtlSeconds: 60,
      sessionCookies: ['session', 'sessionid', 'PHPSESSID', 'JSESSIONID'],
    });
    expect(edge.image).toBe(DEFAULT_EDGE_IMAGE);
    expect(edge.tls).toEqual({ enabled: true, securityPolicy: DEFAULT_TLS_POLICY });
    expect(edge.origin).toEqual({ connectTimeoutSeconds: 5, readTimeoutSeconds: 30 });
    expect(edge.metrics).toEqual({ hitRateAlarmPercent: 85, hitRateMinRequests: 100 });
  });

  it('keeps the other defaults of a rule when one field of it is set', () => {
    const { edge } = exampleConfig((raw) => {
      raw.edge = { originUrl: 'https://origin.example.com', cache: { images: { ttlSeconds: 3600 } } };
    });
    expect(edge.cache.images).toMatchObject({ ttlSeconds: 3600, key: 'uri', serveStale: true });
    expect(edge.cache.html.ttlSeconds).toBe(300);
  });

  it.each([
    [{ image: 'nginx:1.30' }, /edge\.image = "nginx:1\.30": must be pinned by digest; fix:/],
    [
      { cache: { images: { extensions: ['.png'] } } },
      /edge\.cache\.images\.extensions\.0 = "\.png": is not a file extension; fix:/,
    ],
    [
      { cache: { video: { extensions: ['png'] } } },
      /edge\.cache\.video\.extensions\.0 = "png": "png" is also in edge\.cache\.images\.extensions; fix:/,
    ],
    [
      { cache: { api: { key: 'uri+body' } } },
      /edge\.cache\.api\.key = "uri\+body": must be one of uri, uri\+query, uri\+cookies, uri\+query\+cookies/,
    ],
    [
      { cache: { api: { pathPrefixes: ['/api'] } } },
      /edge\.cache\.api\.pathPrefixes\.0 = "\/api": is not a path prefix; fix:/,
    ],
    [
      { cache: { noCache: { pathPrefixes: ['/'] } } },
      /edge\.cache\.noCache\.pathPrefixes\.0 = "\/": is not a path prefix/,
    ],
    [
      { cache: { api: { pathPrefixes: ['/admin/api/'] } } },
      /edge\.cache\.api\.pathPrefixes\.0 = "\/admin\/api\/": overlaps edge\.cache\.noCache\.pathPrefixes "\/admin\/"/,
    ],
    [
      { cache: { sessionCookies: ['connect.sid'] } },
      /edge\.cache\.sessionCookies\.0 = "connect\.sid": is not a cookie name nginx can read; fix:/,
    ],
    [{ cache: { html: { ttlSeconds: 0 } } }, /edge\.cache\.html\.ttlSeconds = 0: must be greater than 0 seconds/],
    [
      { tls: { securityPolicy: 'TLS-1-2' } },
      /edge\.tls\.securityPolicy = "TLS-1-2": is not an ELB security policy name/,
    ],
    [{ metrics: { hitRateAlarmPercent: 120 } }, /edge\.metrics\.hitRateAlarmPercent = 120: must be at most 100/],
    [{ cache: { images: { ttl: 5 } } }, /edge\.cache\.images/],
  ])('rejects %j, naming the field and the fix', (edge, message) => {
    const problems = problemsWithEdge(edge);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(message);
  });
});
