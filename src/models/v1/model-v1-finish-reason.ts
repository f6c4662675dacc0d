/** Why the model stopped: the AI SDK's unified reasons, plus `unknown` when the provider gave none. */
export type ModelV1FinishReason = 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'other' | 'unknown';
