import type * as vscode from 'vscode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chatModelsOf, FALLBACK_CONTEXT_TOKENS, FALLBACK_OUTPUT_TOKENS } from '../../src/lm/chat-models.ts';
import { ToolCallAssembler, toOpenAIMessages } from '../../src/lm/chat-request.ts';
import type { LanguageModelFeature } from '../../src/lm/language-model-feature.ts';
import {
  CancellationError,
  CancellationTokenSource,
  fakeLanguageModelApi,
  LanguageModelChatMessageRole,
  LanguageModelChatToolMode,
  LanguageModelTextPart,
  LanguageModelToolCallPart,
  LanguageModelToolResultPart,
  recorded,
  until,
} from '../support/fake-vscode.ts';
import { connectedHarness, type Harness } from '../support/harness.ts';
import { KEYS, type SwitchboardFixture, startSwitchboard } from '../support/switchboard.ts';

type Message = vscode.LanguageModelChatRequestMessage;
const user = (...content: unknown[]): Message =>
  ({ role: LanguageModelChatMessageRole.User, content, name: undefined }) as unknown as Message;
const assistant = (...content: unknown[]): Message =>
  ({ role: LanguageModelChatMessageRole.Assistant, content, name: undefined }) as unknown as Message;
const noTools = {
  toolMode: LanguageModelChatToolMode.Auto,
} as vscode.ProvideLanguageModelChatResponseOptions;
const token = () => new CancellationTokenSource().token as unknown as vscode.CancellationToken;

/** Runs one request through the provider and collects what it reported. */
async function ask(
  provider: LanguageModelFeature,
  modelId: string,
  messages: Message[],
  options = noTools,
  cancellation = token(),
): Promise<unknown[]> {
  const models = await provider.provideLanguageModelChatInformation({ silent: true }, token());
  const model = models.find((candidate) => candidate.id === modelId);
  if (!model) throw new Error(`no model ${modelId} in ${models.map((candidate) => candidate.id).join(', ')}`);
  const parts: unknown[] = [];
  await provider.provideLanguageModelChatResponse(
    model,
    messages,
    options,
    { report: (part) => parts.push(part) },
    cancellation,
  );
  return parts;
}

describe('the workspace models in VS Code 1.100 (no language model provider API)', () => {
  let fixture: SwitchboardFixture;
  let harness: Harness | undefined;
  beforeAll(async () => {
    fixture = await startSwitchboard();
  });
  afterAll(() => fixture?.close());
  afterEach(() => harness?.dispose());

  it('registers nothing and says why in the log; everything else works', async () => {
    harness = await connectedHarness(fixture);
    expect(harness.extension.languageModels.registered).toBe(false);
    expect(recorded.log.join('\n')).toContain('has no language model provider API');
    expect(harness.extension.tree.roots.length).toBeGreaterThan(0);
  });
});

describe('the workspace models in VS Code 1.104+ (vscode.lm)', () => {
  let fixture: SwitchboardFixture;
  let harness: Harness | undefined;
  let lm: ReturnType<typeof fakeLanguageModelApi>;
  let provider: LanguageModelFeature;

  beforeAll(async () => {
    fixture = await startSwitchboard();
  });
  afterAll(() => fixture?.close());
  afterEach(() => harness?.dispose());

  async function connect(): Promise<void> {
    lm = fakeLanguageModelApi();
    harness = await connectedHarness(fixture, { lm });
    provider = harness.extension.languageModels;
  }

  it('registers as the switchboard vendor and lists the chat models that can answer, named by provider and model', async () => {
    await connect();
    expect(provider.registered).toBe(true);
    expect(lm.providers.get('switchboard')).toBe(provider);
    const models = await provider.provideLanguageModelChatInformation({ silent: true }, token());
    const ids = models.map((model) => model.id);
    expect(ids).toContain('openai/gpt-4o-mini');
    expect(ids).toContain('openai-compatible/local-model');
    // Only chat models: no embeddings or speech.
    expect(ids).not.toContain('openai/text-embedding-3-small');
    const listed = (await fixture.client.models.list.query({ workspaceId: fixture.workspaceId, type: 'llm' }))
      .filter((model) => model.status === 'active')
      .map((model) => `${model.provider}/${model.name}`);
    expect(ids.sort()).toEqual(listed.sort());

    const mini = models.find((model) => model.id === 'openai/gpt-4o-mini');
    expect(mini).toMatchObject({
      name: expect.stringMatching(/^OpenAI · /),
      family: 'gpt-4o-mini',
      detail: 'Acme · default',
      // 128k context, 16k of it for the answer.
      maxInputTokens: 128_000 - 16_384,
      maxOutputTokens: 16_384,
      gatewayModel: 'openai/gpt-4o-mini',
    });
    expect(mini?.capabilities).toEqual({ toolCalling: true, imageInput: true });
    // A custom model the server knows no limits of gets safe ones.
    const local = models.find((model) => model.id === 'openai-compatible/local-model');
    expect(local).toMatchObject({
      maxInputTokens: FALLBACK_CONTEXT_TOKENS - FALLBACK_OUTPUT_TOKENS,
      maxOutputTokens: FALLBACK_OUTPUT_TOKENS,
    });
  });

  it('tells VS Code when the server list changes, and only then', async () => {
    await connect();
    await provider.provideLanguageModelChatInformation({ silent: true }, token());
    let fired = 0;
    const listener = provider.onDidChangeLanguageModelChatInformation(() => fired++);
    try {
      const model = { name: 'added-later', type: 'llm' as const };
      await fixture.client.models.addCustom.mutate({
        workspaceId: fixture.workspaceId,
        provider: 'openai-compatible',
        model,
        credential: {
          name: 'later',
          values: { api_key: KEYS.localA, base_url: `${fixture.upstream.url}/v1` },
        },
      });
      await until(() => fired === 1);
      const ids = (await provider.provideLanguageModelChatInformation({ silent: true }, token())).map(
        (listed) => listed.id,
      );
      expect(ids).toContain('openai-compatible/added-later');

      // A change VS Code does not see (a key renamed) fires nothing.
      const before = harness?.extension.data.snapshot;
      await fixture.client.credentials.update.mutate({
        workspaceId: fixture.workspaceId,
        credentialId: fixture.credentials.prod,
        name: 'production',
      });
      await until(() => harness?.extension.data.snapshot !== before);
      expect(fired).toBe(1);

      await fixture.client.models.remove.mutate({
        workspaceId: fixture.workspaceId,
        provider: 'openai-compatible',
        model,
      });
      await until(() => fired === 2);
    } finally {
      listener.dispose();
    }
  });

  it('streams a reply through the gateway with the user token, part by part, and logs it without the token', async () => {
    await connect();
    const before = fixture.chatKeys().length;
    const parts = await ask(provider, 'openai/gpt-4o-mini', [user(new LanguageModelTextPart('Say hello'))]);
    expect(parts).toEqual([
      new LanguageModelTextPart('Hello '),
      new LanguageModelTextPart('from '),
      new LanguageModelTextPart('the upstream'),
    ]);
    expect(fixture.chatKeys().slice(before)).toEqual([KEYS.dev]);
    const sent = fixture.upstream.requests.at(-1)?.json() as { model: string; messages: unknown };
    expect(sent.model).toBe('gpt-4o-mini');
    expect(sent.messages).toEqual([{ role: 'user', content: 'Say hello' }]);
    const log = recorded.log.join('\n');
    expect(log).toMatch(/\[vsc-lm-[0-9a-f-]+\] 200 gpt-4o-mini/);
    expect(log).not.toContain(fixture.token);
  });

  it('passes tools to the model and its tool call back to VS Code, then the result to the model', async () => {
    await connect();
    const tools = {
      toolMode: LanguageModelChatToolMode.Required,
      tools: [
        {
          name: 'get_weather',
          description: 'The weather in a city',
          inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
    } as vscode.ProvideLanguageModelChatResponseOptions;
    const question = user(new LanguageModelTextPart('Weather in Paris?'));
    const call = await ask(provider, 'openai/gpt-4o-mini', [question], tools);
    expect(call).toEqual([new LanguageModelToolCallPart('call_weather_1', 'get_weather', { city: 'Paris' })]);
    const asked = fixture.upstream.requests.at(-1)?.json() as Record<string, unknown>;
    expect(asked.tool_choice).toBe('required');
    expect(asked.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'The weather in a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ]);

    const answer = await ask(
      provider,
      'openai/gpt-4o-mini',
      [
        question,
        assistant(call[0]),
        user(new LanguageModelToolResultPart('call_weather_1', [new LanguageModelTextPart('sunny, 21 °C')])),
      ],
      noTools,
    );
    expect(answer.map((part) => (part as LanguageModelTextPart).value).join('')).toBe(
      'The tool said: sunny, 21 °C',
    );
    const answered = fixture.upstream.requests.at(-1)?.json() as { messages: unknown };
    expect(answered.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_weather_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_weather_1', content: 'sunny, 21 °C' },
    ]);
  });

  it("fails with the gateway's reason when the model cannot answer, and stops when cancelled", async () => {
    await connect();
    const models = await provider.provideLanguageModelChatInformation({ silent: true }, token());
    const gone = { ...(models[0] as (typeof models)[number]), gatewayModel: 'openai/no-such-model' };
    await expect(
      provider.provideLanguageModelChatResponse(
        gone,
        [user(new LanguageModelTextPart('hi'))],
        noTools,
        { report() {} },
        token(),
      ),
    ).rejects.toThrow(/openai\/no-such-model did not answer through Switchboard: 404/);

    const cancelledBefore = new CancellationTokenSource();
    cancelledBefore.cancel();
    await expect(
      ask(
        provider,
        'openai/gpt-4o-mini',
        [user(new LanguageModelTextPart('hi'))],
        noTools,
        cancelledBefore.token as never,
      ),
    ).rejects.toBeInstanceOf(CancellationError);

    // Cancelled after the first piece: nothing more is reported.
    const cancelledDuring = new CancellationTokenSource();
    const parts: unknown[] = [];
    const mini = models.find((model) => model.id === 'openai/gpt-4o-mini') as (typeof models)[number];
    await expect(
      provider.provideLanguageModelChatResponse(
        mini,
        [user(new LanguageModelTextPart('hi'))],
        noTools,
        {
          report: (part) => {
            parts.push(part);
            cancelledDuring.cancel();
          },
        },
        cancelledDuring.token as never,
      ),
    ).rejects.toBeInstanceOf(CancellationError);
    expect(parts).toEqual([new LanguageModelTextPart('Hello ')]);
  });

  it('lists nothing when signed out, and the management command opens the Switchboard view', async () => {
    await connect();
    await harness?.extension.auth.removeSession();
    await until(() => harness?.extension.connection.state.kind === 'signed-out');
    expect(await provider.provideLanguageModelChatInformation({ silent: true }, token())).toEqual([]);
    const { commands } = await import('../support/fake-vscode.ts');
    await commands.executeCommand('switchboard.manageLanguageModels');
    expect(recorded.executed.map((run) => run.id)).toContain('workbench.view.extension.switchboard');
  });
});

describe('language model requests, piece by piece', () => {
  it('turns a system prompt, images and names into OpenAI messages', () => {
    const image = { mimeType: 'image/png', data: new Uint8Array([1, 2, 3]) };
    expect(
      toOpenAIMessages([
        { role: 3, content: [new LanguageModelTextPart('Be brief')], name: undefined } as unknown as Message,
        { ...user(new LanguageModelTextPart('What is this?'), image), name: 'ada' } as Message,
      ]),
    ).toEqual([
      { role: 'system', content: 'Be brief' },
      {
        role: 'user',
        name: 'ada',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AQID' } },
        ],
      },
    ]);
  });

  it('puts tool calls back together in order, and refuses arguments that are not a JSON object', () => {
    const calls = new ToolCallAssembler();
    calls.add([{ index: 1, id: 'b', function: { name: 'second', arguments: '{}' } }]);
    calls.add([{ index: 0, id: 'a', function: { name: 'first', arguments: '{"n":' } }]);
    calls.add([{ index: 0, function: { arguments: '1}' } }]);
    expect(calls.take()).toEqual([
      { callId: 'a', name: 'first', input: { n: 1 } },
      { callId: 'b', name: 'second', input: {} },
    ]);
    expect(calls.take()).toEqual([]);
    calls.add([{ index: 0, id: 'c', function: { name: 'broken', arguments: '[1' } }]);
    expect(() => calls.take()).toThrow('The model called broken with arguments that are not JSON');
  });

  it('has no models without a snapshot', () => {
    expect(chatModelsOf(undefined, 'Acme')).toEqual([]);
  });
});
