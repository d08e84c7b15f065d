/** The public face of steering/: the table (its check and default), the section, the definitions kind. */
export { checkSteeringTable, levelOf, rangeProblems, STEERING_SERVICES, type SteeringTable } from './definition';
export { DEFAULT_STEERING_TABLE } from './default-table';
export { basisOf, preferencesOf, steer } from './recommend';
export { steeringExtension, steeringHolder, LOAD_RESOURCE, type SteeringHolder } from './section';
export { steeringKind } from './kind';
