/**
 * Upgrades agents through a RabbitMQ broker, for fleets too large to reach host by
 * host: ONE connection and channel for every agent, a command published to
 * upgrade.<id> on the product's topic exchange (agents.amqp.exchange, default
 * <product>.agents), its answer on this transport's
 * own exclusive queue (the replyTo), and the re-executed agent's status.<id>
 * message as the proof it runs the target. The caller's signal is the per-attempt
 * timeout. Addresses of AMQP agents are `amqp:<id>`.
 */
import { randomUUID } from 'node:crypto';
import { connect, type Channel, type ChannelModel, type ConsumeMessage, type Message } from 'amqplib';
import { AgentError, type AgentRecord, type AgentTransport, type UpgradeHow } from './types.js';

export interface AmqpTransportOptions {
  /** amqp(s)://user:password@host:port/vhost; the password never appears in a message */
  url: string;
  /** the topic exchange the agents bind to: agents.amqp.exchange, default <product>.agents (amqpExchange) */
  exchange: string;
  target: string;
  /** the agents' token; never appears in a message */
  token: string;
  /** where agents fetch the package: a URL (package server) or a path on their own host */
  package: { url?: string; path?: string; sha256: string };
  /** how long a command waits in an agent's queue before the broker drops it (default 120000) */
  commandTtlMs?: number;
}

/** the exchange of a product's agents: the values' agents.amqp.exchange, else <product>.agents */
export const amqpExchange = (product: string, configured?: string): string => configured || `${product}.agents`;

/** the agent's id in `amqp:<id>`; an id is one routing-key word (no dots, no wildcards) */
export function amqpAgentId(address: string): string | undefined {
  return /^amqp:([A-Za-z0-9_-]{1,200})$/.exec(address)?.[1];
}

/** what a message may say about the broker: scheme, host, vhost; never the user or password */
export function brokerName(url: string): string {
  const u = URL.canParse(url) ? new URL(url) : undefined;
  return u ? `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}` : '(unparsable broker URL)';
}

interface Waiter {
  id: string;
  who: string;
  replied: boolean;
  reported: boolean;
  settle(e: unknown, version?: string): void;
  onReply?(body: Record<string, unknown>): void;
}
interface Link {
  conn: ChannelModel;
  ch: Channel;
  replyTo: string;
}

const REFUSED = new Set(['SHA256_MISMATCH', 'BAD_PACKAGE', 'BAD_REQUEST', 'BAD_SOURCE']);
/** an unreachable host must fail the attempt, not hang it until the signal */
const CONNECT_MS = 10_000;

const parse = (m: Message): Record<string, unknown> => {
  try {
    return JSON.parse(m.content.toString('utf8')) ?? {};
  } catch {
    return {};
  }
};
/** ECONNREFUSED, or the reply code amqplib puts in parentheses (ACCESS-REFUSED, ...) */
const reasonOf = (e: unknown, { code, message } = (e ?? {}) as { code?: unknown; message?: string }): string =>
  typeof code === 'string' ? code : (/\(([A-Z_-]+)\)/.exec(message ?? '')?.[1] ?? 'connection failed');
const decoded = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export class AmqpTransport implements AgentTransport {
  private link?: Promise<Link>;
  private readonly byCorrelation = new Map<string, Waiter>();
  private readonly byAgent = new Map<string, Set<Waiter>>();
  private readonly broker: string;
  private readonly secrets: string[];

  constructor(private readonly o: AmqpTransportOptions) {
    if (!o.package.url && !o.package.path) throw new Error('AmqpTransport needs package.url or package.path');
    this.broker = brokerName(o.url);
    const password = URL.canParse(o.url) ? new URL(o.url).password : '';
    this.secrets = [o.token, password, decoded(password)].filter((x) => x.length > 0);
  }

  /** scrubs the secrets from any text an agent or the broker wrote */
  private fail(message: string, retryable: boolean, offline = false): AgentError {
    return new AgentError(
      this.secrets.reduce((text, secret) => text.split(secret).join('***'), message),
      retryable,
      offline,
    );
  }

  async upgrade(agent: AgentRecord, signal: AbortSignal, how: UpgradeHow = {}): Promise<string> {
    const id = amqpAgentId(agent.address);
    if (!id) throw this.fail(`agent ${agent.id} cannot be contacted: its address ${agent.address} is not amqp:<id>`, false);
    const who = agent.id === id ? `agent ${id}` : `agent ${agent.id} (amqp:${id})`;
    signal.throwIfAborted();
    const link = await new Promise<Link>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.open()
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
    if (how.inDoubt) {
      // an interrupted run may have upgraded it: ask first, never send a second upgrade to an upgraded agent
      const answer = await this.exchange(link, id, who, signal, { token: this.o.token, query: 'version' }, 'query');
      const now = JSON.parse(answer) as { status?: string; version?: string; error?: string; reported?: boolean };
      if (now.status === 'ok' && now.version === this.o.target) return this.o.target;
      if (now.reported) return this.o.target;
      if (now.status === 'upgrading') return this.exchange(link, id, who, signal, undefined, 'wait');
      if (now.error === 'UNAUTHORIZED') throw this.fail(`${who} rejected the token`, false);
      // ok on another version, or an agent too old to answer a query (it refused it): command it
    }
    const { url, path, sha256 } = this.o.package;
    return this.exchange(link, id, who, signal, { token: this.o.token, ...(url ? { url } : { path }), sha256 }, 'upgrade');
  }

  /**
   * One message to the agent and the wait for what settles it: `upgrade` its reply
   * and then its status.<id> on the target; `query` its reply (as JSON text, with
   * `reported` when the target's status came meanwhile); `wait` (nothing sent) the status.
   */
  private exchange(link: Link, id: string, who: string, signal: AbortSignal, message: object | undefined, mode: 'upgrade' | 'query' | 'wait'): Promise<string> {
    const correlationId = randomUUID();
    return new Promise<string>((resolve, reject) => {
      const onAbort = () => w.settle(signal.reason);
      const w: Waiter = {
        id,
        who,
        replied: mode === 'wait',
        reported: false,
        settle: (e, version) => {
          this.byCorrelation.delete(correlationId);
          this.byAgent.get(id)?.delete(w);
          if (!this.byAgent.get(id)?.size) this.byAgent.delete(id);
          signal.removeEventListener('abort', onAbort);
          if (version !== undefined) resolve(version);
          else reject(e);
        },
      };
      if (mode === 'query') w.onReply = (body) => w.settle(undefined, JSON.stringify({ ...body, reported: w.reported }));
      // registered before publishing: the reply and the new process's status may come at once
      this.byCorrelation.set(correlationId, w);
      this.byAgent.set(id, (this.byAgent.get(id) ?? new Set()).add(w));
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) return onAbort();
      if (!message) return;
      try {
        // not persistent: the command holds the token and is worthless once the attempt is over
        link.ch.publish(this.o.exchange, `upgrade.${id}`, Buffer.from(JSON.stringify(message)), {
          mandatory: true,
          correlationId,
          replyTo: link.replyTo,
          expiration: String(this.o.commandTtlMs ?? 120_000),
          contentType: 'application/json',
        });
      } catch (e) {
        w.settle(this.fail(`${who} could not be sent the command: the broker connection is gone (${reasonOf(e)})`, true));
      }
    });
  }

  async close(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    this.abandon('the AMQP transport was closed');
    const l = await link?.catch(() => undefined);
    await l?.ch.close().catch(() => {});
    await l?.conn.close().catch(() => {});
  }

  private abandon(why: string): void {
    for (const w of [...this.byCorrelation.values()]) w.settle(this.fail(`${w.who}: ${why}`, true));
  }

  /** one link for every agent, opened on first use; a failed or lost one is opened again by the next upgrade */
  private open(): Promise<Link> {
    if (this.link) return this.link;
    const link: Promise<Link> = this.connect((why) => {
      if (this.link !== link) return; // closed on purpose, or already replaced
      this.link = undefined;
      this.abandon(`lost the connection to the broker at ${this.broker} (${why})`);
    }).catch((e) => {
      if (this.link === link) this.link = undefined;
      throw e;
    });
    return (this.link = link);
  }

  private async connect(onLost: (why: string) => void): Promise<Link> {
    const conn = await connect(this.o.url, { timeout: CONNECT_MS }).catch((e) => {
      throw this.fail(`the broker at ${this.broker} could not be reached (${reasonOf(e)})`, true);
    });
    conn.on('error', () => {
      /* reported through 'close' */
    });
    conn.on('close', (err?: Error) => onLost(err ? reasonOf(err) : 'closed'));
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => {
        /* reported through 'close' */
      });
      ch.on('close', () => void conn.close().catch(() => {}));
      // mandatory and unroutable: no queue is bound to upgrade.<id>
      ch.on('return', (m: Message) => {
        const w = this.byCorrelation.get(m.properties.correlationId);
        w?.settle(this.fail(`${w.who} has no queue on the broker (is it running with --amqp?)`, true, true));
      });
      await ch.assertExchange(this.o.exchange, 'topic', { durable: true });
      const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
      await ch.bindQueue(queue, this.o.exchange, 'status.*');
      await ch.consume(queue, (m) => m && this.dispatch(m), { noAck: true });
      return { conn, ch, replyTo: queue };
    } catch (e) {
      await conn.close().catch(() => {});
      throw this.fail(`the broker at ${this.broker} refused the transport's queue (${reasonOf(e)})`, true);
    }
  }

  /** status.<id> messages go to that agent's waiters, replies to the waiter of their correlationId */
  private dispatch(m: ConsumeMessage): void {
    const body = parse(m);
    if (m.fields.exchange === this.o.exchange) {
      if (body.status !== 'ok' || body.version !== this.o.target) return;
      for (const w of [...(this.byAgent.get(m.fields.routingKey.slice('status.'.length)) ?? [])]) {
        w.reported = true;
        if (w.replied) w.settle(undefined, this.o.target);
      }
      return;
    }
    const w = this.byCorrelation.get(m.properties.correlationId);
    if (!w) return; // the answer to an attempt already given up
    if (w.onReply) return w.onReply(body);
    const theirs =
      String(body.message ?? body.error ?? '')
        .trim()
        .slice(0, 300) || 'no reason given';
    if (body.status === 'upgrading') {
      // the package holds another version: waiting for the target could only time out
      if (body.to !== this.o.target) return w.settle(this.fail(`${w.who} installed version ${body.to} from the package, not ${this.o.target}`, false));
      w.replied = true;
      if (w.reported) w.settle(undefined, this.o.target);
    } else if (body.error === 'UNAUTHORIZED') w.settle(this.fail(`${w.who} rejected the token`, false));
    else if (REFUSED.has(String(body.error))) w.settle(this.fail(`${w.who} refused the package: ${theirs}`, false));
    else if (body.error === 'BUSY') w.settle(this.fail(`${w.who} is busy with another upgrade`, true));
    else if (body.error === 'DOWNLOAD_FAILED') w.settle(this.fail(`${w.who} could not download the package: ${theirs}`, true));
    else w.settle(this.fail(`${w.who} failed the upgrade: ${theirs}`, true));
  }
}
