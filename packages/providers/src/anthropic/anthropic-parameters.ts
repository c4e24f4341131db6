import { type ChatParameters, COMMON_CHAT_PARAMETERS } from '@switchboard/provider-spec';
import { REASONING_EFFORTS } from '../shared/reasoning-budget.ts';

/** The chat parameters the Anthropic adapter honours (it builds its own Messages API body). */
export const anthropicChatParameters: ChatParameters = {
  known: {
    ...COMMON_CHAT_PARAMETERS,
    // Sent as metadata.user_id.
    user: 'native',
    max_tokens: 'native',
    max_completion_tokens: 'native',
    // Models newer than Claude Opus 4.6 refuse any sampling setting: a value other than 1 is refused
    // by name for those (unsupported_parameter), 1 is left out (it changes nothing).
    temperature: 'native',
    top_p: 'native',
    stop: 'native',
    tools: 'native',
    tool_choice: 'native',
    parallel_tool_calls: 'native',
    // json_schema is output_config.format; json_object is a forced `json` tool whose input is the answer.
    response_format: 'native',
    presence_penalty: { values: [0] },
    frequency_penalty: { values: [0] },
    seed: 'unsupported',
    // Extended thinking with a budget from decision 0030's table; 'none' thinks not at all.
    reasoning_effort: { values: REASONING_EFFORTS },
  },
  others: 'unsupported',
};
