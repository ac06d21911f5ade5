/**
 * The agent's AMQP side, for fleets too large to reach host by host over HTTP.
 * Commands arrive on the durable queue beacon.agent.<id>, bound with upgrade.<id>
 * to the topic exchange beacon.agents; each is answered on its replyTo queue with
 * its correlationId. status.<id> announces the running version every time the
 * agent is ready (so also from the re-executed process after an upgrade).
 */
import amqp from 'amqplib';
import { HttpError } from '../lib/http.mjs';
import { UpgradeRefused } from './fetch-package.mjs';

export const EXCHANGE = 'beacon.agents';
/** one topic word: a dot or a wildcard would route commands and statuses to other agents */
export const AGENT_ID = /^[A-Za-z0-9_-]{1,200}$/;

/** the broker as it may be logged: scheme, host, vhost; never the user or password */
export function brokerName(url) {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparsable broker URL)';
  }
}

const json = (value) => Buffer.from(JSON.stringify(value));

/** the command body, or null when it is not a JSON object */
function parse(content) {
  try {
    const body = JSON.parse(content.toString('utf8'));
    return body && typeof body === 'object' && !Array.isArray(body) ? body : null;
  } catch {
    return null;
  }
}

/** the reply for a failed command: the same codes the HTTP API answers with */
function refusal(err, log) {
  if (err instanceof UpgradeRefused || (err instanceof HttpError && err.code)) return { error: err.code, message: err.message };
  log.error('upgrade command failed', { error: err.message });
  return { error: 'INTERNAL', message: 'internal error' };
}

/**
 * Connects (failing fast when the broker cannot be reached at start; a later loss
 * reconnects with backoff and announces the status again) and consumes commands.
 * upgrade(token, body) is the agent's one upgrade path and resolves with the
 * installed version; query(token) says "ok" or "upgrading" (a {query: "version"}
 * command, answered with the running version); handover() ends this process after
 * a successful upgrade.
 */
export async function startAmqp({ url, id, version, log, upgrade, query, handover }) {
  const queue = `beacon.agent.${id}`;
  let channel = null;
  let consumerTag = null;
  let closing = false;

  async function onCommand(ch, msg) {
    const { correlationId, replyTo } = msg.properties;
    let reply;
    try {
      const body = parse(msg.content);
      if (!body) throw new UpgradeRefused('BAD_REQUEST', 'the command is not a JSON object');
      if (body.query === 'version') {
        // a manager resuming after a crash asks before it commands: no second upgrade of an upgraded agent
        reply = { status: query(body.token), id, version };
      } else {
        // only these fields reach the upgrade: the token is checked, never passed on or logged
        const to = await upgrade(body.token, { url: body.url, path: body.path, sha256: body.sha256 });
        reply = { status: 'upgrading', from: version, to };
      }
    } catch (err) {
      reply = refusal(err, log);
      log.warn('upgrade command refused', { correlationId, error: reply.error });
    }
    const upgraded = reply.status === 'upgrading';
    try {
      if (typeof replyTo === 'string' && replyTo) ch.sendToQueue(replyTo, json(reply), { correlationId, contentType: 'application/json' });
      else log.warn('upgrade command without replyTo, not answered', { correlationId });
      // stop consuming before the ack: a queued command must wait for the new process
      if (upgraded) {
        closing = true;
        await ch.cancel(consumerTag);
      }
      ch.ack(msg);
    } catch (err) {
      log.warn('cannot answer an upgrade command', { correlationId, error: err.message });
    }
    // the new release is current whether or not the answer got out: hand over anyway
    if (upgraded) handover();
  }

  async function setup(model) {
    const ch = await model.createChannel();
    ch.on('error', (err) => log.warn('amqp channel error', { error: err.message }));
    // a channel closed alone (a channel error) would leave the agent deaf: reconnect it all
    ch.on('close', () => {
      if (channel === ch && !closing) model.close().catch(() => {});
    });
    await ch.assertExchange(EXCHANGE, 'topic', { durable: true });
    await ch.assertQueue(queue, { durable: true });
    await ch.bindQueue(queue, EXCHANGE, `upgrade.${id}`);
    await ch.prefetch(1);
    const ok = await ch.consume(
      queue,
      (msg) => {
        if (msg) onCommand(ch, msg);
      },
      { noAck: false },
    );
    channel = ch;
    consumerTag = ok.consumerTag;
    ch.publish(EXCHANGE, `status.${id}`, json({ id, version, status: 'ok' }), { contentType: 'application/json' });
  }

  let conn;
  try {
    conn = await amqp.connect(url, { recovery: { initialMaxRetries: 0, maxDelay: 30_000, setup } });
  } catch (err) {
    const reason = String(err.code ?? err.message)
      .split(url)
      .join(brokerName(url));
    throw new Error(`cannot connect to the broker at ${brokerName(url)} (${reason})`);
  }
  conn.on('error', (err) => log.warn('amqp connection error', { error: err.message }));
  conn.on('disconnect', (err) => log.warn('lost the broker, reconnecting', { broker: brokerName(url), error: err.message }));
  conn.on('connect', () => log.info('reconnected to the broker', { broker: brokerName(url), queue }));

  return {
    queue,
    async close() {
      closing = true;
      await channel?.close().catch(() => {});
      await conn.close().catch(() => {});
    },
  };
}
