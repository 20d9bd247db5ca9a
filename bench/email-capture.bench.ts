/**
 * Email capture from a real IMAP server: 10,000 distinct messages, written like customers' mail
 * (text or text + HTML, some replies to older threads, non-ASCII names and subjects, a few
 * attachments), are appended to the benchmarks' own Dovecot mailbox, bench@example.test (batches of
 * IMAP MULTIAPPEND over several connections at once; not timed). Then a Switchboard starts on a fresh
 * database with that one IMAP mailbox (pollEvery 250ms, afterCapture `delete`, the default
 * captureConcurrency, no acknowledgements, no agent available so every interaction stays queued),
 * its BullMQ job scheduler polls as in production, and the clock runs from the moment the first poll
 * begins until the database holds 10,000 queued interactions: messagesPerSecond and totalSeconds.
 *
 * `delete` is measured because it is the whole job: every copy is also removed from the mailbox (a
 * STORE and EXPUNGE per batch, and the removal recorded). `keep` skips that work and opens the folder
 * read-only, so it would flatter the figure; EMAIL_BENCH_AFTER_CAPTURE=keep measures it anyway.
 *
 * Where the time goes. The email channel publishes the timings of each poll, its IMAP round trips
 * (listing the new UIDs with their sizes, fetching the batches, deleting the captured copies), each
 * message's parsing (parseMessage, i.e. mailparser) and each capture transaction on the
 * `switchboard:email:capture-timings` diagnostics channel (src/channels/email/capture-timings.ts);
 * this module subscribes, so these are measured inside the capture path of the timed run.
 *  - imapShare: wall-clock time with an IMAP step under way, over totalSeconds. A poll does its IMAP
 *    work between its captures, never alongside them, so this share is exact.
 *  - The capture window is the time with a parse or a capture transaction under way. Up to
 *    captureConcurrency messages are captured at once, and a parse in the path lasts as long as it
 *    waits for the busy JavaScript thread (parseMsPerMessageInCapture), so its own interval would
 *    grossly overstate it. parsingShare is therefore what parsing costs alone: the same messages are
 *    parsed again after the run, one after the other in this process (parseMsPerMessage), over
 *    totalSeconds.
 *  - postgresShare is the rest of the capture window: the capture transactions, with the work done
 *    in them on this side (building and reading queries, the interaction's state machine) and any
 *    wait for a pooled connection.
 *  - otherShare is the time in none of these: the poll's bookkeeping between batches (capture groups,
 *    advancing the last UID, recording removals) and the job scheduler. The four shares add up to 1.
 * eventLoopUtilization is how busy this process's JavaScript thread was while capturing (capture,
 * the outbox relay, the job scheduler); near 1, the thread is the limit, on the same CPUs as Postgres
 * and Dovecot.
 *
 *   npx tsx bench/email-capture.bench.ts        prints the figures as JSON
 *   EMAIL_BENCH_MESSAGES=2000 EMAIL_BENCH_AFTER_CAPTURE=keep npx tsx bench/email-capture.bench.ts
 *
 * Needs the test services (bash scripts/test-services.sh: Postgres, Redis and the test Dovecot).
 */
import { randomBytes } from 'node:crypto';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { connect, type Socket } from 'node:net';
import { onCaptureTimings, type CaptureStep, type CaptureTiming } from '../src/channels/email/capture-timings.ts';
import { parseMessage } from '../src/channels/email/parse-message.ts';
import type { ConfigInput } from '../src/config/schema.ts';
import { clearMailbox, DOVECOT_HOST, DOVECOT_IMAP_PORT, DOVECOT_PASSWORD } from '../test/support/mail-servers.ts';
import { agents, benchConfig, isMain, round, setting, startBenchSwitchboard, waitFor, type Figures } from './support.ts';

const MAILBOX_USER = 'bench@example.test';
const MAILBOX_ID = 'bench-inbox';
const APPEND_CONNECTIONS = 4;
const APPEND_BATCH = 250;
const TARGET_MESSAGES_PER_SECOND = 200;

export async function run(options: { messages?: number; afterCapture?: 'delete' | 'keep' } = {}): Promise<Figures> {
  const total = options.messages ?? setting('EMAIL_BENCH_MESSAGES', 10_000);
  const afterCapture = options.afterCapture ?? (process.env.EMAIL_BENCH_AFTER_CAPTURE === 'keep' ? 'keep' : 'delete');

  await clearMailbox(MAILBOX_USER);
  const timings: CaptureTiming[] = [];
  let loopAtFirstTiming: EventLoopUtilization | null = null;
  const stopListening = onCaptureTimings((timing) => {
    if (timing.mailboxId !== MAILBOX_ID) return;
    loopAtFirstTiming ??= performance.eventLoopUtilization();
    timings.push(timing);
  });
  try {
    const messages = customerMessages(total);
    const appendStart = performance.now();
    await appendAll(MAILBOX_USER, messages);
    const appendSeconds = (performance.now() - appendStart) / 1000;
    const bytes = messages.reduce((sum, raw) => sum + raw.length, 0);

    const config: ConfigInput = {
      ...benchConfig(agents(2, { email: 10, sms: 10 })),
      mailboxes: [
        {
          id: MAILBOX_ID,
          protocol: 'imap',
          host: DOVECOT_HOST,
          port: DOVECOT_IMAP_PORT,
          secure: false,
          auth: { user: MAILBOX_USER, password: DOVECOT_PASSWORD },
          afterCapture,
          pollEvery: '250ms',
          timeout: '60s',
        },
      ],
      addresses: [{ address: MAILBOX_USER, name: 'Example Support', acknowledgement: null }],
      // Unset, the default captureConcurrency applies.
      ...(process.env.EMAIL_BENCH_CONCURRENCY ? { email: { captureConcurrency: setting('EMAIL_BENCH_CONCURRENCY', 8) } } : {}),
    };
    const sb = await startBenchSwitchboard(config);
    let queuedAt: number;
    let captureConcurrency: number;
    let eventLoop: number;
    try {
      captureConcurrency = sb.engine.config.current().email.captureConcurrency;
      const queued = async () =>
        (await sb.database.sql<{ n: number }[]>`select count(*)::int as n from interactions where state = 'queued'`)[0]?.n ?? 0;
      await waitFor(async () => (await queued()) >= total, 15 * 60_000, 50);
      queuedAt = performance.now();
      eventLoop = performance.eventLoopUtilization(loopAtFirstTiming ?? undefined).utilization;
      const [check] = await sb.database.sql<{ captured: number; new: number; interactions: number }[]>`
        select (select count(*)::int from email_inbound where mailbox_id = ${MAILBOX_ID}) as captured,
               (select count(*)::int from email_inbound where mailbox_id = ${MAILBOX_ID} and kind = 'new') as new,
               (select count(*)::int from interactions) as interactions`;
      if (check?.captured !== total || check.new !== total || check.interactions !== total) {
        throw new Error(`expected ${total} new captures and interactions, found ${JSON.stringify(check)}`);
      }
    } finally {
      await sb.stop();
    }

    // Parsing alone: the same messages once more, one after the other, nothing else running.
    const parseStart = performance.now();
    for (const raw of messages) await parseMessage(raw);
    const parseAlone = performance.now() - parseStart;

    const polls = timings.filter((timing) => timing.step === 'poll');
    if (polls.length === 0) throw new Error('no poll timing was published');
    const begin = Math.min(...polls.map((poll) => poll.start));
    const end = queuedAt;
    const elapsed = end - begin;
    const busy = (...steps: CaptureStep[]) => unionLength(timings.filter((timing) => steps.includes(timing.step)), begin, end);
    const share = (ms: number) => round(ms / elapsed, 3);
    const imap = busy('imap_list', 'imap_fetch', 'imap_remove');
    const captureWindow = busy('parse', 'transaction');
    const parsing = Math.min(parseAlone, captureWindow);
    const any = busy('imap_list', 'imap_fetch', 'imap_remove', 'parse', 'transaction');
    const mean = (step: CaptureStep) => {
      const of = timings.filter((timing) => timing.step === step);
      return of.reduce((sum, timing) => sum + (timing.end - timing.start), 0) / Math.max(1, of.length);
    };

    return {
      messages: total,
      afterCapture,
      captureConcurrency,
      averageMessageKiB: round(bytes / total / 1024),
      mailboxMiB: round(bytes / 2 ** 20),
      appendSeconds: round(appendSeconds),
      messagesPerSecond: round(total / (elapsed / 1000)),
      targetMessagesPerSecond: TARGET_MESSAGES_PER_SECOND,
      totalSeconds: round(elapsed / 1000, 2),
      imapShare: share(imap),
      imapFetchShare: share(busy('imap_list', 'imap_fetch')),
      imapRemoveShare: share(busy('imap_remove')),
      parsingShare: share(parsing),
      postgresShare: share(captureWindow - parsing),
      otherShare: share(elapsed - any),
      parseMsPerMessage: round(parseAlone / total, 2),
      parseMsPerMessageInCapture: round(mean('parse'), 2),
      transactionMsPerMessage: round(mean('transaction'), 2),
      eventLoopUtilization: round(eventLoop, 3),
      polls: polls.filter((poll) => poll.start < end).length,
    };
  } finally {
    stopListening();
    await clearMailbox(MAILBOX_USER);
  }
}

/** Milliseconds within [from, to] covered by at least one of the intervals. */
function unionLength(intervals: { start: number; end: number }[], from: number, to: number): number {
  const clipped = intervals
    .map(({ start, end }) => ({ start: Math.max(start, from), end: Math.min(end, to) }))
    .filter(({ start, end }) => end > start)
    .sort((a, b) => a.start - b.start);
  let covered = 0;
  let reach = from;
  for (const { start, end } of clipped) {
    if (end <= reach) continue;
    covered += end - Math.max(start, reach);
    reach = end;
  }
  return covered;
}

/**
 * Appends the messages to the user's INBOX over several IMAP connections at once, APPEND_BATCH
 * messages per MULTIAPPEND command (RFC 3502) with non-synchronizing literals (LITERAL+, RFC 7888).
 * imapflow sends one APPEND per message, and Dovecot then commits (and syncs) every message on its
 * own: about ten times slower for a mailbox this size.
 */
async function appendAll(user: string, messages: Buffer[]): Promise<void> {
  let next = 0;
  const appender = async () => {
    const session = await ImapSession.open(user, DOVECOT_PASSWORD);
    try {
      const capabilities = await session.command('CAPABILITY');
      if (!/ MULTIAPPEND\b/i.test(capabilities) || !/ LITERAL\+/i.test(capabilities)) throw new Error(`the IMAP server lacks MULTIAPPEND or LITERAL+: ${capabilities}`);
      while (next < messages.length) {
        const batch = messages.slice(next, next + APPEND_BATCH);
        next += batch.length;
        await session.command('APPEND INBOX', ...batch.flatMap((raw) => [` {${raw.length}+}\r\n`, raw]));
      }
    } finally {
      await session.close();
    }
  };
  await Promise.all(Array.from({ length: APPEND_CONNECTIONS }, appender));
}

/** Just enough of an IMAP client for appendAll: log in, send commands one at a time, log out. */
class ImapSession {
  readonly #socket: Socket;
  #received = '';
  #untagged: string[] = [];
  #pending: { tag: string; resolve: (text: string) => void; reject: (error: Error) => void } | null = null;
  #tags = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.#read(chunk));
    socket.on('error', (error) => this.#pending?.reject(error));
    socket.on('close', () => this.#pending?.reject(new Error('IMAP connection closed')));
  }

  static async open(user: string, password: string): Promise<ImapSession> {
    const socket = connect(DOVECOT_IMAP_PORT, DOVECOT_HOST);
    const session = new ImapSession(socket);
    await session.#wait('*'); // the greeting
    await session.command(`LOGIN ${JSON.stringify(user)} ${JSON.stringify(password)}`);
    return session;
  }

  /** Sends a command (its parts written as they are) and resolves to its untagged lines and OK line; rejects on NO or BAD. */
  command(...parts: (string | Buffer)[]): Promise<string> {
    const tag = `b${++this.#tags}`;
    const done = this.#wait(tag);
    this.#socket.write(`${tag} `);
    for (const part of parts) this.#socket.write(part);
    this.#socket.write('\r\n');
    return done;
  }

  async close(): Promise<void> {
    await this.command('LOGOUT').catch(() => undefined);
    this.#socket.destroy();
  }

  #wait(tag: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#pending = { tag, resolve, reject };
      this.#read('');
    });
  }

  #read(chunk: string): void {
    this.#received += chunk;
    let end: number;
    while ((end = this.#received.indexOf('\r\n')) >= 0) {
      const line = this.#received.slice(0, end);
      this.#received = this.#received.slice(end + 2);
      const pending = this.#pending;
      if (pending && (pending.tag === '*' || line.startsWith(`${pending.tag} `))) {
        this.#pending = null;
        const text = [...this.#untagged, line].join('\n');
        this.#untagged = [];
        if (/^\S+ (OK|PREAUTH)\b/i.test(line)) pending.resolve(text);
        else pending.reject(new Error(`IMAP: ${line}`));
      } else {
        this.#untagged.push(line);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Customers' messages. Deterministic (a seeded generator) apart from the Message-IDs, which carry a
// random run id so that every message of every run is distinct.

/** mulberry32 */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST_NAMES = ['Anna', 'Ben', 'Chloé', 'David', 'Elif', 'Fatima', 'George', 'Hannah', 'Ivan', 'Jürgen', 'Kenji', 'Laura', 'Marco', 'Nadia', 'Oliver', 'Priya', 'Quentin', 'Rosa', 'Søren', 'Tomasz', 'Uma', 'Viktor', 'Wei', 'Ximena', 'Yusuf', 'Zoë', 'José', 'Łukasz', 'Amélie', 'Mike'];
const LAST_NAMES = ['Smith', 'Müller', 'García', 'Rossi', 'Nowak', 'Dubois', 'Jensen', 'Yılmaz', 'Kowalski', 'Brown', 'Schneider', 'Martin', 'Tanaka', 'Novák', 'Olsen', 'Fernández', 'Wilson', 'Peeters', 'Costa', 'Lindqvist'];
const DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.co.uk', 'web.de', 'orange.fr', 'icloud.com', 'proton.me', 'gmx.net', 'acme-corp.example', 'northwind.example'];
const MAILERS = [
  ['User-Agent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.3.1'],
  ['X-Mailer', 'Apple Mail (2.3774.500.171.1.1)'],
  ['X-Mailer', 'Microsoft Outlook 16.0'],
  ['X-Mailer', 'iPhone Mail (21G93)'],
  ['User-Agent', 'Roundcube Webmail/1.6.7'],
] as const;
const SUBJECTS = [
  'Where is my order #{n}?',
  'Invoice {n} charged twice',
  'Cannot log in to my account',
  'Return request for order {n}',
  'Wrong size delivered (order {n})',
  'Question about my subscription',
  'Change of delivery address',
  'Refund for order {n} not received yet',
  'Damaged item in parcel {n}',
  'Bitte um Rückruf wegen Bestellung {n}',
  'Problème de livraison – commande {n}',
  'Cancel my order {n} please',
  'Discount code not accepted',
  'Invoice needed with our VAT number',
  'Missing item from order {n}',
];
const SENTENCES = [
  'I placed an order last week and have not received any shipping confirmation since.',
  'The tracking page has shown the same status for four days now.',
  'Could you please tell me when I can expect the delivery?',
  'I was charged twice for the same invoice, once on the 3rd and again on the 5th.',
  'My bank statement shows both payments, I can send a screenshot if that helps.',
  'When I try to log in, the page says my password is wrong, but the reset link never arrives.',
  'I would like to return the jacket because it is too small.',
  'The box was crushed and one of the glasses inside is broken.',
  'Please cancel the order if it has not been shipped yet.',
  'We need the invoice made out to our company with the VAT number below.',
  'The discount code from your newsletter is rejected at checkout.',
  'I have been a customer for years and this is the first time something like this happened.',
  'Können Sie mir bitte sagen, wann die Lieferung ankommt?',
  'Je n’ai toujours pas reçu mon colis, pouvez-vous vérifier ?',
  'Thank you in advance for looking into this.',
  'I tried calling your hotline but nobody answered after twenty minutes.',
  'My new address is 12 Station Road, Cambridge CB1 2JB, from the 1st of next month.',
  'Attached is a photo of the damaged item and the label on the parcel.',
];

interface Customer {
  name: string;
  address: string;
}

function customers(count: number, random: () => number): Customer[] {
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;
  return Array.from({ length: count }, (_, index) => {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const local = `${ascii(first)}.${ascii(last)}${index}`.toLowerCase();
    return { name: `${first} ${last}`, address: `${local}@${pick(DOMAINS)}` };
  });
}

function customerMessages(total: number): Buffer[] {
  const random = seeded(20_250_401);
  const runId = randomBytes(6).toString('hex');
  const people = customers(Math.max(1, Math.round(total * 0.3)), random);
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;
  const sent = Date.UTC(2025, 3, 1, 8, 0, 0);
  return Array.from({ length: total }, (_, index) => {
    const customer = pick(people);
    const order = 100_000 + Math.floor(random() * 900_000);
    const domain = customer.address.split('@')[1]!;
    const messageId = `<${runId}.${index}.${Math.floor(random() * 1e9).toString(36)}@${domain}>`;
    const date = new Date(sent + index * 37_000 + Math.floor(random() * 30_000));
    const isReply = random() < 0.12;
    const baseSubject = pick(SUBJECTS).replace('{n}', String(order));
    const subject = isReply ? `Re: ${baseSubject}` : baseSubject;
    const paragraphs = Array.from({ length: 1 + Math.floor(random() * 5) }, () =>
      Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(SENTENCES)).join(' '),
    );
    let text = ['Hello,', ...paragraphs, `Kind regards,\n${customer.name}`].join('\n\n');
    const headers: string[] = [
      `Return-Path: <${customer.address}>`,
      `Delivered-To: ${MAILBOX_USER}`,
      `Received: from mx.example.test (mx.example.test [192.0.2.25])\r\n\tby imap.example.test with LMTP id ${runId}${index}\r\n\tfor <${MAILBOX_USER}>; ${date.toUTCString().replace('GMT', '+0000')}`,
      `Received: from mail-out.${domain} (mail-out.${domain} [198.51.100.${index % 250}])\r\n\tby mx.example.test (Postfix) with ESMTPS id ${order.toString(16).toUpperCase()}\r\n\tfor <${MAILBOX_USER}>; ${date.toUTCString().replace('GMT', '+0000')}`,
      `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=${domain}; s=s1;\r\n\th=from:to:subject:date:message-id; bh=${randomBase64(random, 44)};\r\n\tb=${randomBase64(random, 172).replace(/(.{70})/g, '$1\r\n\t ')}`,
      `From: ${encodeWord(customer.name)} <${customer.address}>`,
      `To: Example Support <${MAILBOX_USER}>`,
      ...(random() < 0.05 ? [`Cc: ${encodeWord(pick(people).name)} <${pick(people).address}>`] : []),
      `Subject: ${encodeWord(subject)}`,
      `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
      `Message-ID: ${messageId}`,
      'MIME-Version: 1.0',
      `${pick(MAILERS).join(': ')}`,
      'Content-Language: en-GB',
    ];
    if (isReply) {
      // A reply to an answer sent before this mailbox was polled: its thread is not stored.
      const earlier = `<${Math.floor(random() * 1e12).toString(36)}@example.test>`;
      headers.push(`In-Reply-To: ${earlier}`, `References: <${Math.floor(random() * 1e12).toString(36)}@${domain}> ${earlier}`);
      const quoted = pick(SENTENCES);
      text += `\n\nOn ${new Date(date.getTime() - 86_400_000).toUTCString()}, Example Support wrote:\n> Thank you for your message.\n> ${quoted}\n>\n> Example Support`;
    }

    const withHtml = random() < 0.5;
    const attachment = random() < 0.04 ? attachmentPart(random, order) : null;
    const textPart = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', quotedPrintable(text)].join('\r\n');
    let body = textPart;
    if (withHtml) {
      const html = `<html><head><meta charset="utf-8"></head><body><div dir="ltr">${text
        .split('\n\n')
        .map((paragraph) => `<p style="margin:0 0 12px 0">${escapeHtml(paragraph).replace(/\n/g, '<br>')}</p>`)
        .join('\n')}</div></body></html>`;
      const boundary = `alt-${runId}-${index}`;
      body = [
        `Content-Type: multipart/alternative; boundary="${boundary}"`,
        '',
        `--${boundary}`,
        textPart,
        `--${boundary}`,
        'Content-Type: text/html; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        quotedPrintable(html),
        `--${boundary}--`,
        '',
      ].join('\r\n');
    }
    if (attachment) {
      const boundary = `mixed-${runId}-${index}`;
      body = [`Content-Type: multipart/mixed; boundary="${boundary}"`, '', `--${boundary}`, body, `--${boundary}`, attachment, `--${boundary}--`, ''].join('\r\n');
    }
    return Buffer.from(`${headers.join('\r\n')}\r\n${body}\r\n`, 'utf8');
  });
}

function attachmentPart(random: () => number, order: number): string {
  const size = 20_000 + Math.floor(random() * 180_000);
  const content = Buffer.alloc(size);
  for (let offset = 0; offset < size; offset += 4) content.writeUInt32LE(Math.floor(random() * 2 ** 32), Math.min(offset, size - 4));
  const [type, name] = random() < 0.5 ? ['application/pdf', `invoice-${order}.pdf`] : ['image/jpeg', `IMG_${order % 10_000}.jpg`];
  return [
    `Content-Type: ${type}; name="${name}"`,
    `Content-Disposition: attachment; filename="${name}"`,
    'Content-Transfer-Encoding: base64',
    '',
    content.toString('base64').replace(/(.{76})/g, '$1\r\n'),
  ].join('\r\n');
}

function randomBase64(random: () => number, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  return Array.from({ length }, () => alphabet[Math.floor(random() * 64)]).join('');
}

function ascii(text: string): string {
  return text.normalize('NFKD').replace(/[^A-Za-z]/g, '');
}

/** RFC 2047 encoded word for header text that is not plain ASCII. */
function encodeWord(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Quoted-printable (RFC 2045) of UTF-8 text with CRLF line ends, soft breaks before 76 characters. */
function quotedPrintable(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => {
      let encoded = '';
      for (const byte of Buffer.from(line, 'utf8')) {
        encoded += (byte >= 33 && byte <= 126 && byte !== 61) || byte === 32 ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      }
      encoded = encoded.replace(/ $/, '=20');
      const pieces: string[] = [];
      while (encoded.length > 75) {
        let cut = 75;
        const escape = encoded.lastIndexOf('=', cut);
        if (escape > cut - 3) cut = escape;
        pieces.push(`${encoded.slice(0, cut)}=`);
        encoded = encoded.slice(cut);
      }
      pieces.push(encoded);
      return pieces.join('\r\n');
    })
    .join('\r\n');
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await run()));
