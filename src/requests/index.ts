export { decodeBody, requestEncoding, clipText } from './body.js';
export type { DecodedBody } from './body.js';
export { requestHandler } from './handler.js';
export type { HandlerDeps, RequestLog, RequestOutcome } from './handler.js';
export { DEFAULT_MAX_PAYLOAD, encodeReply, errorReply, headerBytes, replyHeaders } from './reply.js';
export {
  SERVICE_ERROR_CODE_HEADER,
  SERVICE_ERROR_HEADER,
  SERVICE_ERROR_HEADER_LIMIT,
  SERVICE_ERROR_STATUS,
} from './service-errors.js';
export { customerIdOf, dryRunOf, MAX_DRY_RUN_SAMPLE, DEFAULT_DRY_RUN_SAMPLE, ECHO_LIMIT } from './shapes.js';
export { engineEndpoints, eraseEndpoint } from './engine-endpoints.js';
export type { RequestEngine } from './engine-endpoints.js';
export { modelEndpoints } from './model-endpoints.js';
export { endpointName, serveService } from './service.js';
export type { RequestService, RequestServiceOptions, ServedEndpoint } from './service.js';
export { SERVICE_API_PREFIX, SERVICE_RESPONSE_TYPE, controlSubjects } from './micro.js';
export type { EndpointInfo, EndpointStats, InfoResponse, PingResponse, StatsResponse } from './micro.js';
export { createRequestMetrics, initRequestMetrics } from './metrics.js';
export type { RequestMetrics } from './metrics.js';
export { AnsweredElsewhere, RequestRefusal } from './types.js';
export type { Endpoint, ErrorReply, RequestEncoding, RequestLimits, RequestMsg } from './types.js';
