export {
  startOpenAITestServer,
  type ChatMessageView,
  type ChatRequestView,
  type ChatResponder,
  type OpenAITestServer,
  type OpenAITestServerOptions,
  type RecordedRequest,
  type TestServerEndpoint,
} from './openai-test-server.js';
export { DEFAULT_EMBEDDING_DIMENSIONS, embeddingWords, hashedEmbedding } from './hashed-embedding.js';
export type {
  ScriptedAnswer,
  ScriptedEmbeddingsReply,
  ScriptedFault,
  ScriptedHttpError,
  ScriptedReply,
  ScriptedToolCall,
  ScriptedUsage,
} from './scripted-reply.js';
