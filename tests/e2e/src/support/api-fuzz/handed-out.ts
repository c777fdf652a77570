import type { Answer } from './oracle.ts';
import type { Operation } from './openapi.ts';
import { CurrentETag, encodeText, type Body, type HeaderValue, type PathValue, type RequestTemplate } from './requests.ts';
import { KnownValue, spell } from './values.ts';

/** A request with every placeholder filled in, ready for inject(). */
export interface ConcreteRequest {
  method: string;
  /** Percent-encoded, without the query. */
  path: string;
  query: string;
  headers: Record<string, string>;
  payload: string | undefined;
  /** The id a KnownValue path parameter resolved to, as the API wrote it: where its ETag is remembered. */
  addressed: string | undefined;
}

/**
 * What the API handed out during a run: ids by pool (the `id` of a 2xx answer under /users goes to
 * pool `users`; seeded pools too) and the last ETag of each id. Templates are filled in from it when
 * they are sent, so requests reach past "not found" and If-Match can be right.
 */
export class HandedOut {
  private readonly pools: Map<string, string[]>;
  private readonly etags = new Map<string, string>();

  constructor(seeded: Record<string, readonly string[]> = {}) {
    this.pools = new Map(Object.entries(seeded).map(([pool, values]) => [pool, [...values]]));
  }

  concrete(template: RequestTemplate): ConcreteRequest {
    let addressed: string | undefined;
    const segment = (value: PathValue): string => {
      if (value instanceof KnownValue) {
        const { text, canonical } = this.resolve(value);
        addressed = canonical;
        return encodeText(text);
      }
      return typeof value === 'string' ? encodeText(value) : value.raw;
    };
    const path = template.operation
      ? template.operation.pathTemplate.replace(/\{([^}]+)\}/g, (_whole, name: string) => segment(template.pathParameters[name] ?? ''))
      : (template.path ?? '/');
    const headers = Object.fromEntries(Object.entries(template.headers).map(([name, value]) => [name, this.headerValue(value, addressed)]));
    return { method: template.method, path, query: template.query, headers, payload: this.payloadOf(template.body), addressed };
  }

  /** Ids and ETags from an answer, for later requests to address. */
  remember(request: ConcreteRequest, operation: Operation | undefined, answer: Answer): void {
    const etag = answer.headers.etag;
    if (request.addressed !== undefined && typeof etag === 'string') this.etags.set(request.addressed, etag);
    if (operation === undefined || answer.status < 200 || answer.status >= 300) return;
    let id: unknown;
    try {
      id = (JSON.parse(answer.body) as { id?: unknown }).id;
    } catch {
      return;
    }
    if (typeof id !== 'string') return;
    const collection = operation.pathTemplate.split('/')[1] ?? '';
    const pool = this.pools.get(collection) ?? [];
    if (!pool.includes(id)) this.pools.set(collection, [...pool, id]);
    if (typeof etag === 'string') this.etags.set(id, etag);
  }

  private resolve(value: KnownValue): { text: string; canonical: string } {
    const pool = this.pools.get(value.pool) ?? [];
    const canonical = pool[Math.floor(value.pick * pool.length)] ?? value.fallback;
    return { text: spell(canonical, value.spelling), canonical };
  }

  private headerValue(value: HeaderValue, addressed: string | undefined): string {
    if (!(value instanceof CurrentETag)) return value;
    const current = (addressed === undefined ? undefined : this.etags.get(addressed)) ?? '"1"';
    const version = current.replace(/^W\//, '').replaceAll('"', '');
    switch (value.form) {
      case 'strong':
        return current;
      case 'weak':
        return `W/${current}`;
      case 'bare':
        return version;
      case 'in-a-list':
        return `"0", W/${current}, ${current}`;
      case 'stale':
        return `"${Math.max(0, Number(version) - 1)}"`;
    }
  }

  private payloadOf(body: Body): string | undefined {
    switch (body.kind) {
      case 'none':
        return undefined;
      case 'raw':
        return body.text;
      case 'json':
        return JSON.stringify(this.filledIn(body.value));
    }
  }

  private filledIn(value: unknown): unknown {
    if (value instanceof KnownValue) return this.resolve(value).text;
    if (Array.isArray(value)) return value.map((item) => this.filledIn(item));
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, this.filledIn(item)]));
    return value;
  }
}
