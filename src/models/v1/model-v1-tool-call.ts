/** A tool call as the model wrote it. `arguments` is the raw JSON text, parsed and validated by the caller. */
export interface ModelV1ToolCall {
  id: string;
  name: string;
  arguments: string;
}
