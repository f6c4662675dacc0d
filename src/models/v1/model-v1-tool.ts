/** A function the model may call, described by the JSON Schema of its arguments. */
export interface ModelV1Tool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** Whether the model may, must or must not call tools, or must call one named tool. */
export type ModelV1ToolChoice = 'auto' | 'required' | 'none' | { tool: string };
