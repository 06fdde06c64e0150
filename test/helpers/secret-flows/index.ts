import { appsFlows } from './apps.js';
import { feathersFlows } from './feathers.js';
import { type FlowServer, Recorder } from './recorder.js';
import { rpcFlows } from './rpc.js';
import { spaFlows } from './spa.js';

export type { Exchange, FlowServer } from './recorder.js';
export { Recorder } from './recorder.js';

/**
 * Every dialect's secret-bearing flow, done for real against one server: what the
 * HTTP hygiene suite checks the answers of, and what the secrets-at-rest suite
 * searches the database and the logs for. The rpc flow moves the clock past an access
 * token's life (cookie auto-renew), so it runs last.
 */
export async function runSecretFlows(server: FlowServer): Promise<Recorder> {
  const recorder = new Recorder(server);
  await spaFlows(recorder);
  await appsFlows(recorder);
  await feathersFlows(recorder);
  await rpcFlows(recorder);
  return recorder;
}
