/**
 * One transport for a mixed fleet: an agent's address says how it is reached —
 * http(s)://host:port for its own HTTP API, amqp:<id> for an agent listening on
 * the broker of the values' agents.amqp.url (large fleets behind NAT, one
 * connection for all). Each kind is opened on first use only.
 */
import { AmqpTransport } from './amqp-transport.js';
import { HttpTransport } from './http-transport.js';
import { AgentError, type AgentRecord, type AgentTransport, type UpgradeHow } from './types.js';

export interface FleetTransportOptions {
  target: string;
  token: string;
  package: { url: string; sha256: string };
  /** amqp(s)://user:pass@host:port/vhost; needed only when an agent's address is amqp:<id> */
  amqpUrl?: string;
  /** tests shorten the HTTP health poll */
  pollMs?: number;
  /** the agents' topic exchange (amqpExchange) */
  amqpExchange: string;
}

export function fleetTransport(o: FleetTransportOptions): AgentTransport {
  let http: HttpTransport | undefined;
  let amqp: AmqpTransport | undefined;
  return {
    async upgrade(agent: AgentRecord, signal: AbortSignal, how?: UpgradeHow): Promise<string> {
      if (!agent.address.startsWith('amqp:')) {
        http ??= new HttpTransport({ target: o.target, token: o.token, package: o.package, pollMs: o.pollMs });
        return http.upgrade(agent, signal, how);
      }
      if (!o.amqpUrl) {
        throw new AgentError(`agent ${agent.id} is reached through the broker (${agent.address}), but the site values have no agents.amqp.url`, false);
      }
      amqp ??= new AmqpTransport({ url: o.amqpUrl, exchange: o.amqpExchange, target: o.target, token: o.token, package: o.package });
      return amqp.upgrade(agent, signal, how);
    },
    async close() {
      await amqp?.close();
    },
  };
}
