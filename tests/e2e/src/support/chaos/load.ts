import { randomUUID } from 'node:crypto';
import type { Ledger } from './ledger.ts';

export interface LoadOptions {
  apiUrl: string;
  ledger: Ledger;
  /** Requests in flight at once. */
  concurrency: number;
  /** Per-request time limit: a dependency down must not hold a request longer. */
  requestTimeoutMs?: number;
}

export interface LoadStats {
  attempts: number;
  /** Answers other than success: 503 while a dependency is down, mostly. */
  refused: number;
  /** Requests that got no answer at all (connection refused or cut, timeout). */
  unanswered: number;
  /** The slowest answered request, in ms: how bounded the API stayed. */
  slowestAnswerMs: number;
}

interface Owned {
  id: string;
  version: number;
}

type Outcome = { kind: 'answered'; status: number; body: unknown; etag: string | null; ms: number } | { kind: 'unanswered' };

/**
 * A bounded mixed load through the API's HTTP interface, as clients would send it: registrations,
 * profile changes and deletions of the users it registered. Each write carries an Idempotency-Key
 * and is retried with it until it gets an answer, so an outage leaves (almost) no write whose
 * outcome is unknown; one that stays unknown marks its user uncertain in the ledger.
 */
export class LoadGenerator {
  readonly stats: LoadStats = { attempts: 0, refused: 0, unanswered: 0, slowestAnswerMs: 0 };
  private running = false;
  private workers: Promise<void>[] = [];
  private target = 0;
  private readonly owned: Owned[] = [];

  constructor(private readonly options: LoadOptions) {}

  /** Runs until `writes` more writes were acknowledged (or stop()). */
  start(writes: number): void {
    this.target = this.options.ledger.writes + writes;
    this.running = true;
    this.workers = Array.from({ length: this.options.concurrency }, (_, index) => this.work(index));
  }

  /** Resolves when the target is reached and every worker has finished. */
  async finished(): Promise<void> {
    await Promise.all(this.workers);
    this.running = false;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  private async request(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<Outcome> {
    this.stats.attempts += 1;
    const started = performance.now();
    try {
      const response = await fetch(`${this.options.apiUrl}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000),
      });
      const text = await response.text();
      const ms = performance.now() - started;
      this.stats.slowestAnswerMs = Math.max(this.stats.slowestAnswerMs, ms);
      return { kind: 'answered', status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined, etag: response.headers.get('etag'), ms };
    } catch {
      this.stats.unanswered += 1;
      return { kind: 'unanswered' };
    }
  }

  /**
   * One write, retried with the same Idempotency-Key until the API answers with something other
   * than 503 (a dependency down) or the load stops; undefined when it never got a final answer.
   */
  private async write(method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Extract<Outcome, { kind: 'answered' }> | undefined> {
    const key = randomUUID();
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const outcome = await this.request(method, path, body, { ...headers, 'idempotency-key': key });
      if (outcome.kind === 'answered' && outcome.status !== 503 && !(outcome.status === 409 && (outcome.body as { type?: string } | undefined)?.type?.endsWith('idempotency-key-in-flight'))) return outcome;
      if (outcome.kind === 'answered') this.stats.refused += 1;
      if (!this.running && attempt > 0) return undefined;
      // Backing off between retries, as a client would; not waiting for a condition.
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** Math.min(attempt, 5))));
    }
    return undefined;
  }

  private async work(index: number): Promise<void> {
    const { ledger } = this.options;
    let step = index;
    while (this.running && ledger.writes < this.target) {
      step += 1;
      const choice = step % 20;
      const mine = this.owned.length > 0 ? this.owned.splice(Math.floor(Math.random() * this.owned.length), 1)[0] : undefined;
      if (!mine || choice < 8) {
        if (mine) this.owned.push(mine);
        const answer = await this.write('POST', '/users', { email: `chaos-${randomUUID()}@example.com`, name: `Chaos ${step}` });
        if (answer?.status === 201) {
          const user = answer.body as { id: string; version: number };
          ledger.acknowledge(user.id, user.version, false);
          this.owned.push({ id: user.id, version: user.version });
        }
        continue;
      }
      if (choice < 17) {
        const answer = await this.write('PATCH', `/users/${mine.id}`, { name: `Chaos ${step} changed` }, { 'if-match': `"${mine.version}"` });
        if (answer?.status === 200) {
          const user = answer.body as { version: number };
          ledger.acknowledge(mine.id, user.version, false);
          this.owned.push({ id: mine.id, version: user.version });
        } else if (answer === undefined) ledger.markUncertain(mine.id);
        else this.owned.push(mine);
        continue;
      }
      const answer = await this.write('DELETE', `/users/${mine.id}`, undefined, { 'if-match': `"${mine.version}"` });
      if (answer?.status === 204) ledger.acknowledge(mine.id, Number(answer.etag?.replaceAll('"', '')), true);
      else if (answer === undefined) ledger.markUncertain(mine.id);
      else this.owned.push(mine);
    }
  }
}
