/**
 * The carrier side of the SMS webhook benchmark, run in a process of its own so that signing and
 * sending requests does not share the server's event loop: fires Twilio-signed inbound webhooks from
 * distinct senders over keep-alive HTTP with a fixed number in flight, and prints one JSON line with
 * every response's status and time.
 *
 *   npx tsx bench/sms-webhook-load.ts '{"url":"http://127.0.0.1:3000/webhooks/sms/twilio","authToken":"...",
 *     "accountSid":"AC...","to":"+14155550100","first":0,"count":1000,"concurrency":32}'
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
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
  concurrency: number;
}

export interface Shot {
  status: number;
  ms: number;
  /** The body of a refused request. */
  error?: string;
}

export interface LoadResult {
  shots: Shot[];
  seconds: number;
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

function post(agent: Agent, url: URL, signed: SignedRequest): Promise<Shot> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(signed.body),
          [TWILIO_SIGNATURE_HEADER]: signed.signature,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const ms = performance.now() - started;
          resolve(status === 200 ? { status, ms } : { status, ms, error: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(signed.body);
  });
}

export async function fireLoad(plan: LoadPlan): Promise<LoadResult> {
  // Signed before the clock starts: the measure is the server's, not the signing.
  const requests = Array.from({ length: plan.count }, (_, offset) => signedInbound(plan, plan.first + offset));
  const agent = new Agent({ keepAlive: true, maxSockets: plan.concurrency });
  const url = new URL(plan.url);
  const shots: Shot[] = [];
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: plan.concurrency }, async () => {
        for (let signed = requests[next++]; signed !== undefined; signed = requests[next++]) shots.push(await post(agent, url, signed));
      }),
    );
  } finally {
    agent.destroy();
  }
  return { shots, seconds: (performance.now() - started) / 1000 };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const plan = JSON.parse(process.argv[2] ?? '{}') as LoadPlan;
  process.stdout.write(`${JSON.stringify(await fireLoad(plan))}\n`);
}
