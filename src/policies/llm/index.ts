export { LlmPolicy, llmPolicy, type LlmPolicyOptions, type LlmPolicyPurpose } from './llm-policy.js';
export { PROMPT_FILES, loadPrompt, renderPrompt, type PromptRole } from './prompts.js';
export { DEFAULT_RENDER_LIMITS, type RenderLimits } from './render-state.js';
