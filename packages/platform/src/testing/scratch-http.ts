import { once } from 'node:events';
import { spawnScratch, type ScratchProcess } from './scratch-process.ts';

/** An answer of the scratch server: status and JSON body. */
export interface CannedAnswer {
  status: number;
  body: unknown;
}

// The server runs in a child process of its own, so that SIGSTOP freezes it and nothing else; it
// answers "METHOD /path" from the canned answers, 404 otherwise, and prints its port once listening.
const SERVER = `
const answers = JSON.parse(process.env.CANNED_ANSWERS);
const server = require('node:http').createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    const answer = answers[request.method + ' ' + request.url] ?? { status: 404, body: { error_code: 404, message: 'not found' } };
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

export interface ScratchHttpServer {
  process: ScratchProcess;
  url: string;
  stop(): Promise<void>;
}

/**
 * A tiny HTTP server in a process of its own that answers `answers` ("GET /subjects" →
 * { status, body }): a stand-in for the schema registry or Kafka Connect that a test can freeze.
 */
export async function startScratchHttpServer(answers: Record<string, CannedAnswer>): Promise<ScratchHttpServer> {
  const process = spawnScratch('scratch-http', globalThis.process.execPath, ['-e', SERVER], { env: { ...globalThis.process.env, CANNED_ANSWERS: JSON.stringify(answers) } });
  const stdout = process.child.stdout;
  if (!stdout) throw new Error('scratch-http has no stdout');
  const [chunk] = (await Promise.race([once(stdout, 'data'), once(process.child, 'exit').then(() => [undefined])])) as [Buffer | undefined];
  const port = Number(chunk?.toString().trim());
  if (!Number.isInteger(port) || port <= 0) throw new Error(`scratch-http did not start: ${process.log}`);
  return { process, url: `http://127.0.0.1:${port}`, stop: () => process.stop() };
}
