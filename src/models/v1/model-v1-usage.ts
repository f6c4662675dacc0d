/** Tokens a call spent, as the provider reported them; undefined when it did not say. */
export interface ModelV1Usage {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
}
