import { describe, expect, test } from 'vitest';
import { UphopError } from '../../src/errors.js';
import { placeholders, renderDeep, renderTemplate } from '../../src/spec/template.js';

const values = {
  rest_port: 8080,
  name: 'beacon',
  debug: false,
  empty: null,
  db: { client: 'pg', connection: { host: 'db.local', port: 5432 } },
  hosts: ['a', 'b'],
  'dash-key': 'ok',
};

describe('renderTemplate', () => {
  test.each([
    ['plain text', 'no placeholders here', 'no placeholders here'],
    ['a string', 'product=${name}', 'product=beacon'],
    ['a number as text', 'port: ${rest_port}', 'port: 8080'],
    ['a boolean as text', 'debug: ${debug}', 'debug: false'],
    ['null as nothing', 'x=${empty}.', 'x=.'],
    ['a dotted path', 'host=${db.connection.host}:${db.connection.port}', 'host=db.local:5432'],
    ['an object as JSON', 'db: ${db}', 'db: {"client":"pg","connection":{"host":"db.local","port":5432}}'],
    ['an array as JSON', 'hosts: ${hosts}', 'hosts: ["a","b"]'],
    ['an array element', 'first=${hosts.0}', 'first=a'],
    ['a dashed key', '${dash-key}', 'ok'],
    ['spaces inside the braces', '${ name }', 'beacon'],
    ['the $${ escape', 'echo "$${HOME}" ${name}', 'echo "${HOME}" beacon'],
    ['a lone $ and $$', 'cost $5, pid $$, $name', 'cost $5, pid $$, $name'],
    ['several on several lines', 'a=${name}\nb=${rest_port}\n', 'a=beacon\nb=8080\n'],
  ])('renders %s', (_what, text, expected) => {
    expect(renderTemplate(text, values, { source: 't.tmpl' })).toBe(expected);
  });

  test.each([
    ['a missing top-level value', 'a\nport: ${nope}', 'TEMPLATE_VALUE_MISSING', /t\.tmpl line 2 uses \$\{nope\}/],
    ['a missing nested value', '${db.connection.password}', 'TEMPLATE_VALUE_MISSING', /\$\{db\.connection\.password\}/],
    ['a path through a scalar', '${name.length}', 'TEMPLATE_VALUE_MISSING', /name\.length/],
    ['an inherited property', '${db.constructor}', 'TEMPLATE_VALUE_MISSING', /db\.constructor/],
    ['an unclosed placeholder', 'x ${name', 'TEMPLATE_SYNTAX', /never closed/],
    ['a shell-style placeholder', 'echo ${HOME:-/root}', 'TEMPLATE_SYNTAX', /bad placeholder "\$\{HOME:-\/root\}"/],
    ['an empty placeholder', 'x ${}', 'TEMPLATE_SYNTAX', /bad placeholder/],
  ])('refuses %s, naming the variable and the source', (_what, text, code, message) => {
    const err = (() => {
      try {
        renderTemplate(text, values, { source: 't.tmpl' });
      } catch (e) {
        return e;
      }
    })() as UphopError;
    expect(err).toBeInstanceOf(UphopError);
    expect(err.code).toBe(code);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('t.tmpl');
    expect(err.message).toMatch(message);
    expect(err.hint).toMatch(/\$\$\{/);
  });
});

describe('placeholders', () => {
  test.each([
    ['none', 'plain', []],
    ['each once, in order', '${b} ${a.x} ${b} $${c}', ['b', 'a.x']],
    ['across lines', 'x: ${rest_port}\ny: ${db.client}', ['rest_port', 'db.client']],
  ])('lists %s', (_what, text, expected) => {
    expect(placeholders(text)).toEqual(expected);
  });

  test('refuses a bad placeholder', () => {
    expect(() => placeholders('${a b}')).toThrow(/bad placeholder/);
  });
});

describe('renderDeep', () => {
  test('renders every string in nested lists and mappings, keys untouched', () => {
    const input = { exec: ['${name}', '--port', '${rest_port}'], env: { '${name}': '${db.client}', n: 3, on: true }, none: null };
    expect(renderDeep(input, values)).toEqual({ exec: ['beacon', '--port', '8080'], env: { '${name}': 'pg', n: 3, on: true }, none: null });
  });

  test('names the source of a missing value', () => {
    expect(() => renderDeep(['${node}'], values, { source: 'components[0].service.exec' })).toThrow(/components\[0\]\.service\.exec line 1 uses \$\{node\}/);
  });
});
