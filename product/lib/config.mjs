/** Reads `--config <file>` (YAML rendered by uphop from templates/*.yaml.tmpl). */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import YAML from 'yaml';

export function loadConfig(argv = process.argv.slice(2)) {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } }, strict: false });
  if (typeof values.config !== 'string') throw new Error('missing --config <file>: the YAML config rendered by the installer');
  let config;
  try {
    config = YAML.parse(readFileSync(values.config, 'utf8')) ?? {};
  } catch (err) {
    throw new Error(`cannot read config ${values.config}: ${err.message}`);
  }
  if (typeof config !== 'object') throw new Error(`config ${values.config} is not a YAML mapping`);
  return { file: values.config, ...config };
}

/** port from the config: 0 lets the OS choose (tests), the bound port is logged */
export function configPort(config, key = 'port') {
  const port = Number(config[key]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`config ${key} must be a TCP port, got ${JSON.stringify(config[key])}`);
  return port;
}
