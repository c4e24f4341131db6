import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completion } from './gateway-fixture.ts';
import { startUpstreamsFixture, type UpstreamsFixture } from './upstreams-fixture.ts';

// A model its provider answers 404 for is the model's failure, never the key's: the key goes on
// serving the provider's other models, and /v1/models leaves the missing one out until it answers.

describe('a model the provider does not know', () => {
  let fixture: UpstreamsFixture;
  /** Whether the provider serves gpt-4.1-nano again (say, the account was granted access). */
  let nanoIsBack = false;

  beforeAll(async () => {
    fixture = await startUpstreamsFixture('sqlite');
    fixture.upstream.route('POST', '/openai/v1/chat/completions', (request, response) => {
      const { model } = request.json() as { model: string };
      if (model === 'gpt-4.1-nano' && !nanoIsBack) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            error: {
              message: `The model \`${model}\` does not exist or you do not have access to it.`,
              type: 'invalid_request_error',
              param: null,
              code: 'model_not_found',
            },
          }),
        );
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(completion(model, 'fine')));
    });
  });
  afterAll(() => fixture?.close());

  const listed = async () => (await fixture.openai.models.list()).data.map((model) => model.id);
  const ask = (model: string, headers: Record<string, string> = {}) =>
    fixture.openai.chat.completions.create(
      { model, messages: [{ role: 'user', content: 'Hi' }] },
      { headers },
    );

  it('answers 404, leaves the key serving other models, and drops only that model from /v1/models', async () => {
    expect(await listed()).toContain('openai/gpt-4.1-nano');
    const failure = await ask('openai/gpt-4.1-nano').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
    expect(failure).toMatchObject({ code: 'model_not_found' });

    // The key did not rest: the provider's other models still answer, at once and again.
    for (let i = 0; i < 3; i++)
      expect((await ask('openai/gpt-4.1-mini')).choices[0]?.message.content).toBe('fine');
    const models = await listed();
    expect(models).not.toContain('openai/gpt-4.1-nano');
    expect(models).toContain('openai/gpt-4.1-mini');
    await expect(fixture.openai.models.retrieve('openai/gpt-4.1-nano')).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining('does not exist'),
    });
  });

  it('still tries the model, and lists it again once the provider answers for it', async () => {
    nanoIsBack = true;
    const answer = await ask('openai/gpt-4.1-nano');
    expect(answer.choices[0]?.message.content).toBe('fine');
    expect(await listed()).toContain('openai/gpt-4.1-nano');
  });
});
