/**
 * The public face of inbound/: the facades (GraphQL over HTTP, SOAP), the pages, the signed change-event intake,
 * and the HTTP plumbing other rooms' routes share (the body reader, the admin check, headers, request notes).
 */
export { graphqlHandler, GRAPHQL_CHALLENGE } from './graphql-http';
export { mountSoapFacade, SOAP_CHALLENGE, SOAP_PATH, type SoapFacade, type SoapFacadeOptions } from './soap';
export { deskRouter, type DemoConsumer } from './pages/desk';
export { consolePage } from './pages/console';
export { LABELS_PATH, labelsRoute } from './pages/labels';
export { GRAPHIQL_ASSETS_PATH, graphiqlAssets, graphiqlPage } from './pages/graphiql';
export { eventIntake, readSignedEvent } from './events/change-intake';
export {
  eventVerifier,
  memoryReplayStore,
  redisReplayStore,
  signEvent,
  type EventVerifier,
  type ReplayStore,
} from './events/signature';
export { adminCaller, adminJson, type AdminGuard } from './http/admin';
export { BodyError, readJson, type BodyLimits } from './http/body';
export { htmlSecurityHeaders, personalAnswer, sendHtml } from './http/headers';
export { notedOf, notesOf } from './http/notes';
