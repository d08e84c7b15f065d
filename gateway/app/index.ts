/** The public face of app/: the gateway composed, and how it is served (one process, or workers behind one port). */
export {
  createGateway,
  loadAdapters,
  openConfiguredStore,
  SAMPLE_QUERY,
  type Gateway,
  type GatewayOptions,
} from './server';
export { serve, type ServeOptions } from './cluster';
export type { DrainStats } from './drain';
