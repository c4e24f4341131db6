// Ready-to-copy snippets for the connect page. Keys are never filled in: each snippet reads
// SWITCHBOARD_API_KEY from the environment, so nothing secret is on the page or the clipboard.

/** What the snippets need: the server's origin and the model to call. */
export interface SnippetInput {
  origin: string;
  model: string;
  workspaceId: string;
}

/** A JSON string literal, safe inside single-quoted shell and JS strings alike. */
const json = (value: string) => JSON.stringify(value);

/** curl with a workspace API key. */
export function curlSnippet({ origin, model }: SnippetInput): string {
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello' }] });
  return [
    `curl ${origin}/v1/chat/completions \\`,
    '  -H "Authorization: Bearer $SWITCHBOARD_API_KEY" \\',
    '  -H "Content-Type: application/json" \\',
    `  -d '${body.replaceAll("'", "'\\''")}'`,
  ].join('\n');
}

/** curl with a personal access token, which also names the workspace. */
export function curlTokenSnippet({ origin, model, workspaceId }: SnippetInput): string {
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello' }] });
  return [
    `curl ${origin}/v1/chat/completions \\`,
    '  -H "Authorization: Bearer $SWITCHBOARD_TOKEN" \\',
    `  -H "X-Switchboard-Workspace: ${workspaceId}" \\`,
    '  -H "Content-Type: application/json" \\',
    `  -d '${body.replaceAll("'", "'\\''")}'`,
  ].join('\n');
}

/** The OpenAI SDK for TypeScript. */
export function openaiTypeScriptSnippet({ origin, model }: SnippetInput): string {
  return `import OpenAI from 'openai';

const client = new OpenAI({
  baseURL: ${json(`${origin}/v1`)},
  apiKey: process.env.SWITCHBOARD_API_KEY, // a workspace API key (sbk_…)
});

const completion = await client.chat.completions.create({
  model: ${json(model)},
  messages: [{ role: 'user', content: 'Say hello' }],
});
console.log(completion.choices[0]?.message.content);`;
}

/** The OpenAI SDK for Python. */
export function openaiPythonSnippet({ origin, model }: SnippetInput): string {
  return `import os
from openai import OpenAI

client = OpenAI(
    base_url=${json(`${origin}/v1`)},
    api_key=os.environ["SWITCHBOARD_API_KEY"],  # a workspace API key (sbk_…)
)

completion = client.chat.completions.create(
    model=${json(model)},
    messages=[{"role": "user", "content": "Say hello"}],
)
print(completion.choices[0].message.content)`;
}

/** The Anthropic SDK for TypeScript, through `/v1/messages`. */
export function anthropicSnippet({ origin, model }: SnippetInput): string {
  return `import Anthropic from '@anthropic-ai/sdk';

// The SDK adds /v1/messages itself; it sends the key as x-api-key, which Switchboard accepts.
const client = new Anthropic({
  baseURL: ${json(origin)},
  apiKey: process.env.SWITCHBOARD_API_KEY, // a workspace API key (sbk_…)
});

const message = await client.messages.create({
  model: ${json(model)},
  max_tokens: 1024,
  messages: [{ role: 'user', content: 'Say hello' }],
});
console.log(message.content);`;
}

/** Claude Code and other Anthropic clients that read the environment. */
export function claudeCodeSnippet({ origin }: SnippetInput): string {
  return `export ANTHROPIC_BASE_URL=${origin}
export ANTHROPIC_API_KEY=$SWITCHBOARD_API_KEY`;
}

/** VS Code's settings.json entry for the extension. */
export function vscodeSettingsSnippet({ origin }: SnippetInput): string {
  return `{
  "switchboard.serverUrl": ${json(origin)}
}`;
}
