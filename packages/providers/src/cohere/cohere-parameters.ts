import { type ChatParameters, COMMON_CHAT_PARAMETERS } from '@switchboard/provider-spec';

/** The chat parameters the Cohere adapter honours (it builds its own /v2/chat body). */
export const cohereChatParameters: ChatParameters = {
  known: {
    ...COMMON_CHAT_PARAMETERS,
    max_tokens: 'native',
    max_completion_tokens: 'native',
    temperature: 'native',
    top_p: 'native',
    stop: 'native',
    seed: 'native',
    presence_penalty: 'native',
    frequency_penalty: 'native',
    tools: 'native',
    // A named tool is offered alone with tool_choice REQUIRED: the same thing.
    tool_choice: 'emulated',
    parallel_tool_calls: { values: [true] },
    response_format: 'native',
    reasoning_effort: 'unsupported',
  },
  others: 'unsupported',
};
