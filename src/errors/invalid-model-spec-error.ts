import { ArborError } from './arbor-error.js';

/** A `--model` string (or ARBOR_MODEL, or the config's model) cannot be understood. */
export class InvalidModelSpecError extends ArborError {
  readonly spec: string;

  constructor(spec: string, problem: string) {
    super('ARBOR_MODEL_SPEC', `Cannot use model "${spec}": ${problem}`, {
      hint: 'Write it as openai:<model>, ollama:<model> or openai-compatible:<base-url>#<model>, for example openai-compatible:http://127.0.0.1:11434/v1#qwen2.5.',
      data: { spec, problem },
    });
    this.name = 'InvalidModelSpecError';
    this.spec = spec;
  }
}
