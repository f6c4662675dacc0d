import { ArborError } from './arbor-error.js';

/** The model needs an API key and the environment variable that should hold it is empty. */
export class MissingApiKeyError extends ArborError {
  readonly variable: string;

  constructor(variable: string, model: string) {
    super('ARBOR_MODEL_API_KEY_MISSING', `Model "${model}" needs an API key, but ${variable} is not set`, {
      hint: `Set it first (export ${variable}=...), or name the variable that holds the key with apiKeyEnv (--model-api-key-env on the command line).`,
      data: { variable, model },
    });
    this.name = 'MissingApiKeyError';
    this.variable = variable;
  }
}
