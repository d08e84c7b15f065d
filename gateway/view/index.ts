/** The public face of view/: the schema, the planner, the executor and the per-request context. */
export * from './schema';
export * from './plan';
export * from './executor';
export * from './request-context';
