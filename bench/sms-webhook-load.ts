/**
 * The carrier side of the SMS webhook benchmark, run in a process of its own so that signing and
 * sending requests does not share the server's event loop: fires Twilio-signed inbound webhooks from
 * distinct senders over keep-alive HTTP, and prints one JSON line with every response's status and time.
 * Either a fixed number is in flight (`concurrency`: each connection sends its next request when the
 * last is answered, which measures the most the server takes), or requests go out at a fixed `rate` per
 * second whatever the answers (as a carrier sends them, on as many connections as it takes): a
 * response's time then counts from the moment its request was due, so a server that falls behind is
 * charged for the wait.
 *
 *   npx tsx bench/sms-webhook-load.ts '{"url":"http://127.0.0.1:3000/webhooks/sms/twilio","authToken":"...",
 *     "accountSid":"AC...","to":"+14155550100","first":0,"count":1000,"concurrency":32}'
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { encodeFormParams } from '../src/channels/sms/form-params.ts';
import { computeTwilioSignature, TWILIO_SIGNATURE_HEADER } from '../src/channels/sms/twilio-signature.ts';

export interface LoadPlan {
  /** The webhook URL, which is also the URL signed. */
  url: string;
  authToken: string;
  accountSid: string;
  /** The company number written to. */
  to: string;
  /** Index of the first sender; sender i is +1415 (2000000 + i). */
  first: number;
  count: number;
  /** Connections, each with one request in flight (or, with `rate`, opened before the clock starts). */
  concurrency: number;
  /** Requests per second, sent on schedule whatever the answers (more connections open as needed). */
  rate?: number;
  /**
   * Ports of further Switchboard processes on the same host (the same database and Redis, behind what
   * would be a load balancer): connections go to `url`'s port and these in turn. Requests are signed for `url`.
   */
  alsoPorts?: number[];
}

export interface Shot {
  status: number;
  ms: number;
  /** When it was sent (or due, at a fixed rate), in milliseconds since the epoch. */
  at: number;
  /** The body of a refused request. */
  error?: string;
}

export interface LoadResult {
  shots: Shot[];
  seconds: number;
  /** CPU time the load generator used while firing. */
  cpuMs: number;
}

interface SignedRequest {
  body: string;
  signature: string;
}

function signedInbound(plan: LoadPlan, index: number): SignedRequest {
  const sid = `SM${randomBytes(16).toString('hex')}`;
  const params: Record<string, string> = {
    MessageSid: sid,
    SmsSid: sid,
    AccountSid: plan.accountSid,
    From: `+1415${2_000_000 + index}`,
    To: plan.to,
    Body: index % 5 === 0 ? `Question about invoice ${index}` : `Hello, I need help with order ${index}`,
    NumMedia: '0',
    NumSegments: '1',
    SmsStatus: 'received',
    ApiVersion: '2010-04-01',
  };
  return { body: encodeFormParams(params), signature: computeTwilioSignature(plan.authToken, plan.url, params) };
}

/** One request as bytes on the wire: HTTP/1.1 over a keep-alive connection. */
function wireRequest(url: URL, signed: SignedRequest): Buffer {
  const body = Buffer.from(signed.body, 'utf8');
  const head =
    `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\n` +
    `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n${TWILIO_SIGNATURE_HEADER}: ${signed.signature}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/**
 * Reads responses off one connection: each complete one (status line, headers, a body of
 * Content-Length bytes or chunked) settles the request waiting for it. Node's HTTP client costs the
 * load generator more CPU than the server spends on some requests; on a machine the two share, a
 * lean client leaves the cores to the server, as a carrier's would be elsewhere.
 */
class Connection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: { resolve: (response: { status: number; body: string }) => void; reject: (error: Error) => void } | null = null;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new Error('connection closed')));
  }

  static open(url: URL): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port || 80) }, () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  send(request: Buffer): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#socket.write(request);
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #fail(error: Error): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.reject(error);
  }

  #parse(): void {
    const headEnd = this.#buffer.indexOf('\r\n\r\n');
    if (headEnd < 0 || this.#waiting === null) return;
    const head = this.#buffer.toString('latin1', 0, headEnd);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let bodyStart = headEnd + 4;
    let body: string;
    let end: number;
    if (length) {
      end = bodyStart + Number(length[1]);
      if (this.#buffer.length < end) return;
      body = this.#buffer.toString('utf8', bodyStart, end);
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const parts: string[] = [];
      for (;;) {
        const sizeEnd = this.#buffer.indexOf('\r\n', bodyStart);
        if (sizeEnd < 0) return;
        const size = Number.parseInt(this.#buffer.toString('latin1', bodyStart, sizeEnd), 16);
        if (this.#buffer.length < sizeEnd + 2 + size + 2) return;
        if (size === 0) {
          end = sizeEnd + 4;
          break;
        }
        parts.push(this.#buffer.toString('utf8', sizeEnd + 2, sizeEnd + 2 + size));
        bodyStart = sizeEnd + 2 + size + 2;
      }
      body = parts.join('');
    } else {
      end = bodyStart;
      body = '';
    }
    this.#buffer = this.#buffer.subarray(end);
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting.resolve({ status, body });
  }
}

async function post(connection: Connection, request: Buffer): Promise<Shot> {
  const started = performance.now();
  const { status, body } = await connection.send(request);
  const ms = performance.now() - started;
  const at = performance.timeOrigin + started;
  return status === 200 ? { status, ms, at } : { status, ms, at, error: body };
}

export async function fireLoad(plan: LoadPlan): Promise<LoadResult> {
  // Signed and serialized before the clock starts: the measure is the server's, not the signing.
  const url = new URL(plan.url);
  const requests = Array.from({ length: plan.count }, (_, offset) => wireRequest(url, signedInbound(plan, plan.first + offset)));
  const ports = [Number(url.port || 80), ...(plan.alsoPorts ?? [])];
  let turn = 0;
  const target = () => {
    const next = new URL(url);
    next.port = String(ports[turn++ % ports.length]);
    return next;
  };
  const connections = await Promise.all(Array.from({ length: plan.concurrency }, () => Connection.open(target())));
  const shots: Shot[] = [];
  const started = performance.now();
  const cpu = process.cpuUsage();
  try {
    if (plan.rate === undefined) {
      let next = 0;
      await Promise.all(
        connections.map(async (connection) => {
          for (let request = requests[next++]; request !== undefined; request = requests[next++]) shots.push(await post(connection, request));
        }),
      );
    } else {
      await fireAtRate(target, requests, plan.rate, connections, shots, started);
    }
  } finally {
    for (const connection of connections) connection.close();
  }
  const used = process.cpuUsage(cpu);
  return { shots, seconds: (performance.now() - started) / 1000, cpuMs: (used.user + used.system) / 1000 };
}

/** Most connections a fixed-rate run opens: a server that far behind has failed the run anyway. */
const MAX_CONNECTIONS = 1_000;

/**
 * Sends request i when it is due (`started` + i / rate seconds), on an idle connection or a new one,
 * and records its time from when it was due. `connections` gains those opened on the way.
 */
async function fireAtRate(target: () => URL, requests: Buffer[], rate: number, connections: Connection[], shots: Shot[], started: number): Promise<void> {
  const idle = [...connections];
  const sent: Promise<void>[] = [];
  let failure: unknown = null;
  const send = async (request: Buffer, due: number) => {
    let connection = idle.pop();
    if (connection === undefined) {
      if (connections.length >= MAX_CONNECTIONS) throw new Error(`more than ${MAX_CONNECTIONS} requests in flight`);
      connection = await Connection.open(target());
      connections.push(connection);
    }
    const { status, body } = await connection.send(request);
    const ms = performance.now() - due;
    const at = performance.timeOrigin + due;
    shots.push(status === 200 ? { status, ms, at } : { status, ms, at, error: body });
    idle.push(connection);
  };
  for (let i = 0; i < requests.length && failure === null; ) {
    const now = performance.now();
    for (; i < requests.length && started + (i * 1000) / rate <= now; i++) {
      sent.push(send(requests[i]!, started + (i * 1000) / rate).catch((error: unknown) => void (failure ??= error)));
    }
    if (i < requests.length) await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (i * 1000) / rate - performance.now())));
  }
  await Promise.all(sent);
  if (failure !== null) throw failure;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const plan = JSON.parse(process.argv[2] ?? '{}') as LoadPlan;
  process.stdout.write(`${JSON.stringify(await fireLoad(plan))}\n`);
}
