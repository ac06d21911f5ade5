/**
 * One broken project per case: loadHopSpec must refuse with SPEC_INVALID (exit 2)
 * and exactly the expected problem, naming the file, the field and a fix.
 */
import path from 'node:path';
import { expect, test } from 'vitest';
import { UphopError } from '../../src/errors.js';
import { loadHopSpec } from '../../src/spec/load.js';
import { baseFiles, baseSpec, makeProject, type Files, type Spec } from './fixture.js';

interface Case {
  name: string;
  /** change the valid base (or return raw YAML text to use instead) */
  change: (spec: Spec, files: Files) => void | string;
  field: string | undefined;
  message: RegExp;
  hint?: RegExp;
  /** the file the problem names, relative to the project root (default: the spec) */
  file?: string;
  /** problems expected when one mistake shows in several places (each then checked for file and field) */
  count?: number;
}

const health = (s: Spec) => s.services.health;
const cases: Case[] = [
  { name: 'a YAML syntax error', change: () => 'product: beacon\nfrom: [4.0.1\nto: 4.1.1\n', field: undefined, message: /YAML syntax error.*line 3/ },
  { name: 'an empty spec', change: () => '# nothing yet\n', field: undefined, message: /empty/ },
  {
    name: 'an unknown top-level key',
    change: (s) => {
      s.hook = s.hooks;
      delete s.hooks;
    },
    field: 'hook',
    message: /unknown key "hook" \(line \d+\)/,
    hint: /did you mean "hooks"/,
  },
  {
    name: 'an unknown key without a close match',
    change: (s) => {
      s.colour = 'blue';
    },
    field: 'colour',
    message: /unknown key "colour"/,
    hint: /known keys here: product, from, to/,
  },
  {
    name: 'an unknown component key',
    change: (s) => {
      s.components[0].servce = {};
    },
    field: 'components[0].servce',
    message: /unknown key/,
    hint: /did you mean "service"/,
  },
  {
    name: 'an unknown config key',
    change: (s) => {
      s.configs[0].mod = '0600';
    },
    field: 'configs[0].mod',
    message: /unknown key/,
    hint: /did you mean "mode"/,
  },
  {
    name: 'an unknown service key',
    change: (s) => {
      s.components[0].service.units = 'x';
    },
    field: 'components[0].service.units',
    message: /unknown key/,
    hint: /did you mean "unit"/,
  },
  {
    name: 'an unknown health key',
    change: (s) => {
      health(s)[0].timout = '5s';
    },
    field: 'services.health[0].timout',
    message: /unknown key/,
    hint: /did you mean "timeout"/,
  },
  {
    name: 'an unknown agents key',
    change: (s) => {
      s.agents.versoin = '4.1.1';
    },
    field: 'agents.versoin',
    message: /unknown key/,
    hint: /did you mean "version"/,
  },
  {
    name: 'a rollout concurrency of 0',
    change: (s) => {
      s.agents.rollout.concurrency = 0;
    },
    field: 'agents.rollout.concurrency',
    message: /whole number from 1 to 10000/,
    hint: /whole number/,
  },
  {
    name: 'a rollout pause that is not a boolean',
    change: (s) => {
      s.agents.rollout.pause = 'yes';
    },
    field: 'agents.rollout.pause',
    message: /true or false/,
    hint: /pause: true/,
  },
  {
    name: 'a max_consecutive_failures of 0',
    change: (s) => {
      s.agents.rollout.max_consecutive_failures = 0;
    },
    field: 'agents.rollout.max_consecutive_failures',
    message: /1 or more/,
    hint: /whole number/,
  },
  {
    name: 'an unknown rollout key',
    change: (s) => {
      s.agents.rollout.max_failure = '5%';
    },
    field: 'agents.rollout.max_failure',
    message: /unknown key/,
    hint: /did you mean "max_failures"/,
  },
  {
    name: 'an unknown hook name',
    change: (s) => {
      s.hooks.prefligt = 'hooks/check-disk.sh';
    },
    field: 'hooks.prefligt',
    message: /unknown key/,
    hint: /did you mean "preflight"/,
  },
  {
    name: 'a hook uphop does not run (it would be shipped and silently never run)',
    change: (s) => {
      s.hooks['post-install'] = 'hooks/check-disk.sh';
    },
    field: 'hooks.post-install',
    message: /not run by this version of uphop/,
    hint: /migration/,
  },
  {
    name: 'a test_path table name that is not a bare table name',
    change: (s) => {
      s.test_path = { ignore_data: ['worker_heartbeats', 'x; drop table items'] };
    },
    field: 'test_path.ignore_data[1]',
    message: /is not a table name/,
    hint: /bare table name/,
  },
  {
    name: 'an unknown test_path key',
    change: (s) => {
      s.test_path = { ignore_date: ['worker_heartbeats'] };
    },
    field: 'test_path.ignore_date',
    message: /unknown key/,
    hint: /did you mean "ignore_data"/,
  },
  {
    name: 'a missing required key',
    change: (s) => {
      delete s.components[1].package;
    },
    field: 'components[1].package',
    message: /missing required key "package"/,
    hint: /package: \$\{artifacts\}/,
  },
  {
    name: 'a missing product',
    change: (s) => {
      delete s.product;
    },
    field: 'product',
    message: /missing required key "product"/,
  },
  {
    name: 'a version YAML read as a number',
    change: (s) => {
      s.to = 4.1;
    },
    field: 'to',
    message: /must be a text value, got the number 4.1/,
    hint: /quote it/,
  },
  {
    name: 'a list given as a mapping',
    change: (s) => {
      s.components = { name: 'x' };
      s.services.order = [];
      delete s.services.health;
    },
    field: 'components',
    message: /must be a list/,
  },
  {
    name: 'a bad component version',
    change: (s) => {
      s.components[0].version = '4.1';
    },
    field: 'components[0].version',
    message: /not an exact semver/,
    hint: /4\.1\.0/,
  },
  {
    name: 'a bad from',
    change: (s) => {
      s.from = 'latest';
    },
    field: 'from',
    message: /not a semver version, range or "none"/,
  },
  {
    name: 'a bad to',
    change: (s) => {
      s.to = '>=4.1.1';
    },
    field: 'to',
    message: /not an exact semver/,
  },
  {
    name: 'to below from',
    change: (s) => {
      s.from = '4.2.0';
    },
    field: 'to',
    message: /to 4\.1\.1 is not above from 4\.2\.0/,
    hint: /higher version/,
  },
  {
    name: 'to equal to from',
    change: (s) => {
      s.from = '4.1.1';
    },
    field: 'to',
    message: /not above/,
  },
  {
    name: 'to inside the from range',
    change: (s) => {
      s.from = '>=4.0.0 <4.2.0';
    },
    field: 'to',
    message: /not above from >=4\.0\.0 <4\.2\.0/,
    hint: /upper bound/,
  },
  {
    name: 'a bad product name',
    change: (s) => {
      s.product = 'Beacon Manager';
    },
    field: 'product',
    message: /product name "Beacon Manager" is not valid/,
  },
  {
    name: 'a bad component name',
    change: (s) => {
      s.components[1].name = 'Worker_1';
      s.services.order = ['rest-service', 'Worker_1'];
    },
    field: 'components[1].name',
    message: /not valid/,
    hint: /lowercase/,
  },
  {
    name: 'a duplicate component name',
    change: (s) => {
      s.components[1].name = 'rest-service';
      s.services.order = ['rest-service'];
    },
    field: 'components[1].name',
    message: /used twice/,
  },
  {
    name: 'services.order naming no component',
    change: (s) => {
      s.services.order.push('scheduler');
    },
    field: 'services.order[2]',
    message: /"scheduler", which is not a component/,
    hint: /rest-service, worker/,
  },
  {
    name: 'a missing package file',
    change: (s) => {
      s.components[0].package = '${artifacts}/nope.tgz';
    },
    field: 'components[0].package',
    message: /nope\.tgz does not exist/,
  },
  {
    name: 'a missing artifacts folder',
    change: (_s, f) => {
      for (const k of Object.keys(f)) if (k.startsWith('artifacts/')) f[k] = null;
    },
    field: 'components[0].package',
    message: /the artifacts folder .* does not exist, so package .*beacon-rest-4.1.1.tgz \(and any other in it\) is missing/,
    hint: /build your component packages into .*artifacts, pass --artifacts DIR/,
  },
  {
    name: 'a folder package of a deb component',
    change: (s, f) => {
      f['artifacts/pkgdir/x'] = 'x';
      s.components[0].type = 'deb';
      s.components[0].package = '${artifacts}/pkgdir';
    },
    field: 'components[0].package',
    message: /is a folder, which only a tarball component may be/,
    hint: /type: tarball/,
  },
  {
    name: 'a package escaping the artifacts folder',
    change: (s) => {
      s.components[0].package = '${artifacts}/../templates/install.sh.tmpl';
    },
    field: 'components[0].package',
    message: /outside the artifacts folder/,
  },
  {
    name: 'a package symlinked out of the artifacts folder',
    change: (s, f) => {
      f['artifacts/evil.tgz'] = { symlink: '../templates/install.sh.tmpl' };
      s.components[0].package = '${artifacts}/evil.tgz';
    },
    field: 'components[0].package',
    message: /outside the artifacts folder/,
    hint: /symlink/,
  },
  {
    name: 'a package with another placeholder',
    change: (s) => {
      s.components[0].package = '${dist}/beacon-rest-4.1.1.tgz';
    },
    field: 'components[0].package',
    message: /placeholder other than \$\{artifacts\}/,
  },
  {
    name: 'an unknown package type',
    change: (s) => {
      s.components[0].type = 'zip';
    },
    field: 'components[0].type',
    message: /package type "zip" is not supported/,
    hint: /tarball, deb, rpm/,
  },
  {
    name: 'an absolute config dest',
    change: (s) => {
      s.configs[0].dest = '/etc/beacon/rest.yaml';
    },
    field: 'configs[0].dest',
    message: /is absolute/,
    hint: /relative path/,
  },
  {
    name: 'a config dest with ..',
    change: (s) => {
      s.configs[0].dest = 'etc/../../passwd';
    },
    field: 'configs[0].dest',
    message: /contains "\.\."/,
  },
  {
    name: 'two configs with one dest',
    change: (s) => {
      s.configs.push({ ...s.configs[0], dest: './etc/beacon/rest.yaml' });
    },
    field: 'configs[1].dest',
    message: /written by two configs/,
  },
  {
    name: 'a bad mode string',
    change: (s) => {
      s.configs[0].mode = '0999';
    },
    field: 'configs[0].mode',
    message: /not a file mode/,
    hint: /"0640"/,
  },
  {
    name: 'a mode YAML read as a number',
    change: (s) => {
      s.configs[0].mode = 600;
    },
    field: 'configs[0].mode',
    message: /must be a text value/,
    hint: /quote it: "0600"/,
  },
  {
    name: 'a missing template',
    change: (s) => {
      s.configs[0].template = 'templates/nope.tmpl';
    },
    field: 'configs[0].template',
    message: /nope\.tmpl does not exist/,
  },
  {
    name: 'a template that does not render',
    change: (_s, f) => {
      f['templates/rest-service.yaml.tmpl'] += 'password: ${db.connection.password}\n';
    },
    field: 'configs[0].template',
    file: 'templates/rest-service.yaml.tmpl',
    message: /line 5 uses \$\{db\.connection\.password\}, which is not in the values/,
    hint: /add "db\.connection\.password" to the values.*checked with the sample values .*templates\/values\.sample\.yaml\)/,
  },
  {
    name: 'a template with a bad placeholder',
    change: (_s, f) => {
      f['templates/rest-service.yaml.tmpl'] += 'home: ${HOME:-/root}\n';
    },
    field: 'configs[0].template',
    file: 'templates/rest-service.yaml.tmpl',
    message: /bad placeholder/,
    hint: /\$\$\{/,
  },
  {
    name: 'a service exec that does not render',
    change: (s) => {
      s.components[1].service.exec.push('--queue=${queue_name}');
    },
    field: 'components[1].service.exec',
    message: /\$\{queue_name\}/,
  },
  {
    name: 'a service env that does not render',
    change: (s) => {
      s.components[0].service.env.TOKEN = '${agents.token}';
    },
    field: 'components[0].service.env',
    message: /\$\{agents\.token\}/,
  },
  {
    name: 'an empty service exec',
    change: (s) => {
      s.components[1].service.exec = [];
    },
    field: 'components[1].service.exec',
    message: /exec is empty/,
  },
  {
    name: 'a health check with no probe',
    change: (s) => {
      health(s).push({ name: 'x', timeout: '5s' });
    },
    field: 'services.health[3]',
    message: /no http, tcp or command/,
    hint: /exactly one/,
  },
  {
    name: 'a health check with two probes',
    change: (s) => {
      health(s)[1].http = 'http://127.0.0.1:1/';
    },
    field: 'services.health[1]',
    message: /has http and tcp; it must have exactly one/,
  },
  {
    name: 'a health check that does not render',
    change: (s) => {
      health(s)[0].http = 'http://${rest_host}:${rest_port}/';
    },
    field: 'services.health[0].http',
    message: /\$\{rest_host\}/,
  },
  {
    name: 'a health http that is not a URL',
    change: (s) => {
      health(s)[0].http = 'localhost:${rest_port}/health';
    },
    field: 'services.health[0].http',
    message: /not an http\(s\) URL/,
  },
  {
    name: 'a health tcp without a port',
    change: (s) => {
      health(s)[1].tcp = '127.0.0.1';
    },
    field: 'services.health[1].tcp',
    message: /not host:port/,
  },
  {
    name: 'a duplicate health check name',
    change: (s) => {
      health(s)[2].name = 'rest';
    },
    field: 'services.health[2].name',
    message: /used twice/,
  },
  {
    name: 'a bad duration',
    change: (s) => {
      health(s)[0].timeout = '60 seconds';
    },
    field: 'services.health[0].timeout',
    message: /"60 seconds" is not a duration/,
    hint: /500ms, 60s, 2m/,
  },
  {
    name: 'a zero timeout',
    change: (s) => {
      health(s)[0].timeout = '0s';
    },
    field: 'services.health[0].timeout',
    message: /longer than 0/,
  },
  {
    name: 'a missing migrations folder',
    change: (s) => {
      s.migrations = 'db-migrations';
    },
    field: 'migrations',
    message: /db-migrations does not exist/,
  },
  // what a stranger hits first (issue 12): each names the field and the fix
  {
    name: 'services.order naming a component without a service: block',
    change: (s) => {
      delete s.components[1].service;
    },
    field: 'services.order[1]',
    message: /starts "worker", but that component has no service: block/,
    hint: /add service: \{ exec: .* to component worker, or remove it from services\.order/,
  },
  {
    name: 'a service: block the order never starts',
    change: (s) => {
      s.services.order = ['rest-service'];
    },
    field: 'services.order',
    message: /component worker has a service: block but services\.order does not list it/,
    hint: /add worker to services\.order/,
  },
  {
    name: 'service: blocks without a services: section',
    change: (s) => {
      delete s.services;
    },
    field: 'services.order',
    message: /has a service: block but services\.order does not list it/,
    hint: /to services\.order/,
    count: 2,
  },
  {
    name: 'health checks when no service starts',
    change: (s) => {
      for (const c of s.components) delete c.service;
      s.services.order = [];
    },
    field: 'services.health[0]',
    message: /waits for http:\/\/127\.0\.0\.1:\$\{rest_port\}\/health, but services\.order starts no service/,
    hint: /service: block/,
    count: 2,
  },
  {
    name: 'a service program missing from its package',
    change: (s) => {
      s.components[0].service.exec = ['${node}', '${release}/srv.js'];
    },
    field: 'components[0].service.exec[1]',
    message: /runs \$\{release\}\/srv\.js, which the package .*beacon-rest-4\.1\.1\.tgz does not hold/,
    hint: /top level is the release folder.*holds main\.js, server\.js/,
  },
  {
    name: 'a service program that is not executable',
    change: (s) => {
      s.components[0].service.exec = ['${release}/server.js'];
    },
    field: 'components[0].service.exec[0]',
    message: /server\.js, which is not executable in the package/,
    hint: /chmod \+x server\.js/,
  },
  {
    name: 'a health check URL with a variable the sample values lack',
    change: (s) => {
      health(s)[0].http = 'http://127.0.0.1:${api_port}/health';
    },
    field: 'services.health[0].http',
    message: /uses \$\{api_port\}, which is not in the values/,
    hint: /add "api_port" to the values.*values\.sample\.yaml/,
  },
  {
    name: 'a migrations folder that is not semver',
    change: (_s, f) => {
      f['schema-migrations/latest/001-x.sql'] = '-- up\nSELECT 1;\n';
    },
    field: 'migrations',
    file: 'schema-migrations/latest',
    message: /"latest" is not a semver version/,
  },
  {
    name: 'a migration with an unsupported extension',
    change: (_s, f) => {
      f['schema-migrations/4.2.0/002-notes.txt'] = 'x';
    },
    field: 'migrations',
    file: 'schema-migrations/4.2.0/002-notes.txt',
    message: /unsupported extension/,
  },
  {
    name: 'a .sql migration without -- up',
    change: (_s, f) => {
      f['schema-migrations/4.1.1/003-x.sql'] = 'CREATE TABLE x (id int);\n';
    },
    field: 'migrations',
    file: 'schema-migrations/4.1.1/003-x.sql',
    message: /no "-- up" section/,
  },
  {
    name: 'a hook that does not exist',
    change: (s) => {
      s.hooks.preflight = 'hooks/nope.sh';
    },
    field: 'hooks.preflight',
    message: /hook script .*nope\.sh does not exist/,
  },
  {
    name: 'a hook that is not executable',
    change: (_s, f) => {
      f['hooks/check-disk.sh'] = { text: '#!/bin/sh\n', mode: 0o644 };
    },
    field: 'hooks.preflight',
    message: /not executable/,
    hint: /chmod \+x/,
  },
  {
    name: 'agents without a package',
    change: (s) => {
      delete s.agents.package;
    },
    field: 'agents.package',
    message: /missing required key "package"/,
  },
  {
    name: 'a canary above 100%',
    change: (s) => {
      s.agents.rollout.canary = '150%';
    },
    field: 'agents.rollout.canary',
    message: /percentage from 0% to 100%/,
  },
  {
    name: 'a batch of 0',
    change: (s) => {
      s.agents.rollout.batch = 0;
    },
    field: 'agents.rollout.batch',
    message: /whole number 1 or more/,
  },
  {
    name: 'a negative max_failures',
    change: (s) => {
      s.agents.rollout.max_failures = '-5%';
    },
    field: 'agents.rollout.max_failures',
    message: /percentage/,
  },
  {
    name: 'a bad rollout delay',
    change: (s) => {
      s.agents.rollout.delay = 5;
    },
    field: 'agents.rollout.delay',
    message: /text value/,
    hint: /quote it/,
  },
  {
    name: 'a missing sample values file',
    change: (s) => {
      s.sample_values = 'templates/nope.yaml';
    },
    field: 'sample_values',
    message: /nope\.yaml does not exist/,
  },
  {
    name: 'a bad sample value',
    change: (_s, f) => {
      f['templates/values.sample.yaml'] += 'services: { driver: upstart }\n';
    },
    field: 'sample_values.services.driver',
    file: 'templates/values.sample.yaml',
    message: /"upstart" is not supported/,
    hint: /process, systemd/,
  },
  {
    name: 'a missing install script template',
    change: (_s, f) => {
      f['templates/install.sh.tmpl'] = null;
    },
    field: 'install_script',
    message: /install script template .* does not exist/,
  },
  {
    name: 'an install script that does not render',
    change: (_s, f) => {
      f['templates/install.sh.tmpl'] += 'echo ${HOME}\n';
    },
    field: 'install_script',
    file: 'templates/install.sh.tmpl',
    message: /\$\{HOME\}/,
    hint: /product, from, to and version/,
  },
];

test.each(cases)('reports $name', async (c) => {
  const spec = baseSpec();
  const files = baseFiles();
  const raw = c.change(spec, files);
  const project = await makeProject(raw ?? spec, files);
  try {
    const err = await loadHopSpec(project.hopDir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UphopError);
    const e = err as UphopError;
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.exitCode).toBe(2);
    const count = c.count ?? 1;
    expect(e.message).toMatch(new RegExp(`^${count} problems? in .*bundle\\.yaml$`));
    expect(e.problems).toHaveLength(count);
    for (const p of e.problems) expect([p.file, p.hint, ...(c.field ? [p.field] : [])]).not.toContain(undefined);
    const [problem] = e.problems;
    expect(problem.file).toBe(c.file ? path.join(project.root, c.file) : project.specFile);
    expect(problem.field).toBe(c.field);
    expect(problem.message).toMatch(c.message);
    expect(problem.message).not.toMatch(/\n\s+at /);
    expect(problem.hint).toMatch(c.hint ?? /\w/);
  } finally {
    await project.cleanup();
  }
});
