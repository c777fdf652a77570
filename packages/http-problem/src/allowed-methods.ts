import type { RouteOptions } from 'fastify';

/**
 * The methods each registered path answers, so a request for a known path with another method
 * gets 405 and an Allow header (RFC 9110 §15.5.6) instead of a 404 that says the path does not exist.
 */
export class AllowedMethods {
  private readonly routes: Array<{ matches: RegExp; methods: string[] }> = [];

  /** An onRoute hook: called by Fastify for every route as it is registered. */
  readonly record = (route: RouteOptions): void => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // ":id" matches one segment and "*" the rest, as in Fastify's router.
    const source = route.url
      .split('/')
      .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    this.routes.push({ matches: new RegExp(`^${source}$`), methods });
  };

  /** The methods a path (without its query) is served with; empty when no route has that path. */
  for(path: string): string[] {
    const methods = new Set(this.routes.filter((route) => route.matches.test(path)).flatMap((route) => route.methods));
    return [...methods].sort();
  }
}
