import type { Json, ModelCallView } from '../api.js';
import { JsonView } from './common.js';

type Message = { role: string; content: string; toolCalls?: Json };

function messagesOf(request: Json): Message[] | undefined {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) return undefined;
  const messages = request.messages ?? request.prompt;
  if (!Array.isArray(messages)) return undefined;
  const result: Message[] = [];
  for (const message of messages) {
    if (message === null || typeof message !== 'object' || Array.isArray(message) || typeof message.role !== 'string') return undefined;
    const content = typeof message.content === 'string' ? message.content : JSON.stringify(message.content, null, 2);
    result.push({ role: message.role, content, ...(message.toolCalls === undefined ? {} : { toolCalls: message.toolCalls }) });
  }
  return result;
}

function answerOf(response: Json): { text: string; rest: Json } | undefined {
  if (response === null || typeof response !== 'object' || Array.isArray(response) || typeof response.text !== 'string') return undefined;
  const { text, ...rest } = response;
  return { text, rest };
}

/** The prompts and answers of the model calls behind a node or step, read from the response cache. */
export function ModelCalls({ calls }: { calls: ModelCallView[] }) {
  if (calls.length === 0) return <div class="muted">No model call is recorded for this.</div>;
  return (
    <div class="model-calls">
      {calls.map((call, index) => {
        const messages = messagesOf(call.request);
        const answer = answerOf(call.response);
        return (
          <details class="model-call" key={`${call.namespace}:${call.id}`} open={index === 0}>
            <summary>
              {call.purpose ?? 'model call'} · {call.model ?? 'unknown model'} <span class="muted">{call.id.slice(0, 12)}</span>
            </summary>
            {!call.found ? (
              <div class="hint">The store's response cache holds no call with this id (it may have been pruned).</div>
            ) : (
              <>
                <h4>Prompt</h4>
                {messages ? (
                  messages.map((message, position) => (
                    <div class={`message role-${message.role}`} key={position}>
                      <div class="role">{message.role}</div>
                      <pre class="message-text">{message.content}</pre>
                      {message.toolCalls !== undefined ? <JsonView value={message.toolCalls} /> : null}
                    </div>
                  ))
                ) : (
                  <JsonView value={call.request} label="prompt" />
                )}
                <h4>Response</h4>
                {answer ? (
                  <>
                    <pre class="message-text response-text">{answer.text === '' ? '(no text)' : answer.text}</pre>
                    <JsonView value={answer.rest} />
                  </>
                ) : (
                  <JsonView value={call.response} label="response" />
                )}
                {call.usage !== null ? (
                  <div class="muted">usage: {JSON.stringify(call.usage)}</div>
                ) : null}
              </>
            )}
          </details>
        );
      })}
    </div>
  );
}
