import { describe, expect, it } from '@jest/globals';
import type { AutoscalerConfigInput } from '../../../functions/domain/config';
import { EDGE_POD_RUNTIME, nginxEdgeConfig } from '../../../functions/domain/nginx-edge-config';
import { exampleConfig } from '../../support/config-fixtures';

/** The generated configuration for an edge section (its behaviour is tested on real nginx: test/integration/edge). */
function confWith(edge: NonNullable<AutoscalerConfigInput['edge']>): string {
  return nginxEdgeConfig(exampleConfig((raw) => void (raw.edge = edge)));
}

const location = (conf: string, match: string) => {
  const start = conf.indexOf(`location ${match} {`);
  expect(start).toBeGreaterThanOrEqual(0);
  return conf.slice(start, conf.indexOf('\n    }', start));
};

describe('the nginx configuration of the default edge', () => {
  it('proxies to the origin path and port as given, and over plain http without TLS settings', () => {
    const plain = confWith({ originUrl: 'http://origin.internal:8080/static/' });
    expect(plain).toContain('set $origin "http://origin.internal:8080/static";');
    expect(plain).toContain('proxy_set_header Host origin.internal:8080;');
    expect(plain).not.toContain('proxy_ssl');
  });

  it("verifies an https origin's certificate against the pod's CA bundle, with SNI", () => {
    const conf = confWith({ originUrl: 'https://origin.example.com' });
    expect(conf).toContain('proxy_ssl_verify on;');
    expect(conf).toContain('proxy_ssl_server_name on;');
    expect(conf).toContain('proxy_ssl_name origin.example.com;');
    expect(conf).toContain(`proxy_ssl_trusted_certificate ${EDGE_POD_RUNTIME.trustedCertificates};`);
  });

  it('resolves through the cluster DNS by address, so nothing is resolved at start', () => {
    expect(confWith({ originUrl: 'https://origin.example.com' })).toContain('resolver 172.20.0.10 valid=30s ipv6=off;');
  });

  it('never lets a URL character start an nginx variable', () => {
    expect(confWith({ originUrl: 'https://origin.example.com/a$b' })).toContain(
      'set $origin "https://origin.example.com/a%24b";',
    );
  });

  it('takes each rule from the configuration: extensions, TTL, key, stale, browser caching', () => {
    const conf = confWith({
      originUrl: 'https://origin.example.com',
      cache: {
        images: {
          extensions: ['png', 'jxl'],
          ttlSeconds: 3600,
          key: 'uri+query',
          serveStale: false,
          browserCache: false,
        },
        api: { pathPrefixes: ['/api/', '/graphql/'], bypassSessionCookies: false },
        noCache: { pathPrefixes: ['/account/'] },
        notFoundTtlSeconds: 10,
      },
      origin: { connectTimeoutSeconds: 2, readTimeoutSeconds: 9 },
    });
    const images = location(conf, '~* \\.(?:png|jxl)$');
    expect(images).toContain('proxy_cache_key "$uri?$args";');
    expect(images).toContain('proxy_cache_valid 200 301 302 3600s;');
    expect(images).toContain('proxy_cache_valid 404 10s;');
    expect(images).toContain('proxy_cache_use_stale off;');
    expect(images).not.toContain('expires');
    for (const prefix of ['/api/', '/graphql/']) {
      expect(location(conf, `^~ ${prefix}`)).toContain('proxy_cache_bypass $http_authorization;');
    }
    expect(location(conf, '^~ /account/')).toContain('proxy_cache off;');
    expect(location(conf, '= /account')).toContain('proxy_cache off;');
    expect(conf).not.toContain('/admin/');
    expect(conf).toContain('proxy_connect_timeout 2s;');
    expect(conf).toContain('proxy_read_timeout 9s;');
  });

  it('needs no session map without session cookies', () => {
    const conf = confWith({ originUrl: 'https://origin.example.com', cache: { sessionCookies: [] } });
    expect(conf).not.toContain('$edge_session');
    expect(location(conf, '^~ /api/')).toContain('proxy_cache_bypass $http_authorization;');
  });

  it('balances its braces', () => {
    const conf = confWith({ originUrl: 'https://origin.example.com' });
    expect(conf.split('{').length).toBe(conf.split('}').length);
  });
});
