export {
  deleteResponse,
  findResponse,
  findResponseItem,
  getResponseRetention,
  MAX_RESPONSE_RETENTION_DAYS,
  purgeExpiredResponses,
  type ResponseToSave,
  saveResponse,
  saveResponses,
  setResponseRetention,
  type StoredResponse,
} from './responses.ts';
