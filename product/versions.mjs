/** The released versions of Beacon Manager, oldest first; the packer builds each one. */
export const PRODUCT_VERSIONS = ['3.4.2', '4.0.1', '4.1.1', '4.2.0'];

/** component name -> program entry, packed file name and package name */
export const PROGRAMS = {
  'rest-service': { entry: 'product/rest/server.mjs', main: 'server.js', pkg: 'beacon-rest', nativeSqlite: true },
  worker: { entry: 'product/worker/worker.mjs', main: 'worker.js', pkg: 'beacon-worker', nativeSqlite: true },
  agent: { entry: 'product/agent/agent.mjs', main: 'agent.js', pkg: 'beacon-agent', nativeSqlite: false },
};
