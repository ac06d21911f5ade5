/** scrub: secrets of the site values never survive in text that is printed or logged. */
import { describe, expect, it } from 'vitest';
import { scrub } from '../../src/install/values.js';

const values = {
  db: { client: 'pg', connection: { host: 'db', password: 's3cret-pw' } },
  agents: { token: 'agent-token-1', amqp: { url: 'amqp://fleet:br%40ker-pw@mq:5672/prod' } },
  rest_port: 8080,
  note: 'abc',
};

describe('scrub', () => {
  it.each([
    ['a key named like a secret', 'auth failed for password s3cret-pw', 'auth failed for password ***'],
    ['the agents token', 'Bearer agent-token-1 rejected', 'Bearer *** rejected'],
    ['a password inside a URL, as written', 'cannot connect to amqp://fleet:br%40ker-pw@mq:5672', 'cannot connect to amqp://fleet:***@mq:5672'],
    ['a password inside a URL, decoded', 'login "fleet" with "br@ker-pw" refused', 'login "fleet" with "***" refused'],
  ])('hides %s', (_what, text, expected) => {
    expect(scrub(text, values)).toBe(expected);
  });

  it('leaves ordinary values alone', () => {
    expect(scrub('rest on 8080, note abc, host db', values)).toBe('rest on 8080, note abc, host db');
  });
});
