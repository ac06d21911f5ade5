/** Site values checks, table-driven: each bad value is one problem naming its field. */
import { describe, expect, it } from 'vitest';
import { validateValues } from '../../src/spec/values.js';

const ok = {
  db: { client: 'sqlite' },
  services: { driver: 'process' },
  agents: { token: 't', table: 'agents', amqp: { url: 'amqp://u:p@mq:5672/fleet' }, serve: { host: '0.0.0.0', port: 8099, public_url: 'http://mgr:8099' } },
};

describe('validateValues', () => {
  it('accepts the documented keys', () => {
    expect(validateValues(ok, 'v.yaml')).toEqual([]);
    expect(validateValues({}, 'v.yaml')).toEqual([]);
  });

  it.each([
    [{ db: { client: 'oracle' } }, 'db.client'],
    [{ services: { driver: 'upstart' } }, 'services.driver'],
    [{ services: { stop_timeout: 'soon' } }, 'services.stop_timeout'],
    [{ agents: 'token' }, 'agents'],
    [{ agents: { token: '' } }, 'agents.token'],
    [{ agents: { token: 42 } }, 'agents.token'],
    [{ agents: { table: 'agents; drop table x' } }, 'agents.table'],
    [{ agents: { serve: 'here' } }, 'agents.serve'],
    [{ agents: { amqp: 'amqp://mq' } }, 'agents.amqp'],
    [{ agents: { amqp: { url: 'http://mq:5672' } } }, 'agents.amqp'],
    [{ agents: { serve: { port: 70000 } } }, 'agents.serve.port'],
    [{ agents: { serve: { port: '80' } } }, 'agents.serve.port'],
    [{ agents: { serve: { host: 1 } } }, 'agents.serve.host'],
    [{ agents: { serve: { public_url: 'manager:8099' } } }, 'agents.serve.public_url'],
  ])('%j is one problem at %s', (values, field) => {
    const problems = validateValues(values, 'v.yaml');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'v.yaml', field });
    expect(problems[0].hint).toBeTruthy();
  });
});
