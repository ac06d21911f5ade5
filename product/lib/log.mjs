/** JSON-line logger on stdout; the service supervisor captures it. */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(component, level = 'info') {
  const min = LEVELS[level] ?? LEVELS.info;
  const write = (lvl, msg, fields = {}) => {
    if (LEVELS[lvl] < min) return;
    process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: lvl, component, msg, ...fields }) + '\n');
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
