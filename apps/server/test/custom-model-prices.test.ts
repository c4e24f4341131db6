import { createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';
import { createApiKey, listApiKeys } from '@switchboard/core';
import { ENGINES } from '@switchboard/test-utils';
import { TRPCClientError } from '@trpc/client';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completion, type GatewayFixture, KEY_A, startGatewayFixture } from './gateway-fixture.ts';

// Custom model prices end to end (decision 0032): set and changed through the typed client over
// HTTP, then counted by the gateway against an API key's monthly budget until it answers 429; a
// budgeted key refuses a model without a price.

const MODEL = { name: 'local-model', type: 'llm' as const };
const PROVIDER = 'openai-compatible' as const;

/** The tRPC error code and field errors of a refused call (fails the test when it succeeded). */
async function refusal(
  call: Promise<unknown>,
): Promise<{ code?: string; fieldErrors: Record<string, string[]> }> {
  const error = await call.then(
    () => expect.unreachable('the call should have been refused'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  const data = (error as TRPCClientError<never>).data as unknown as {
    code?: string;
    fieldErrors?: Record<string, string[]>;
  };
  return { code: data.code, fieldErrors: data.fieldErrors ?? {} };
}

describe.each(ENGINES)('custom model prices through the API and the gateway on %s', (engine) => {
  let fixture: GatewayFixture;
  let client: SwitchboardClient;
  const listed = async () =>
    (await client.models.list.query({ workspaceId: fixture.workspaceId, provider: PROVIDER })).find(
      (model) => model.name === MODEL.name,
    );
  const budgetedKey = async (name: string, monthlyBudget: number) => {
    const { key } = await createApiKey(fixture.server.core, fixture.actor, {
      workspaceId: fixture.workspaceId,
      name,
      monthlyBudget,
    });
    return new OpenAI({ baseURL: `${fixture.server.url}/v1`, apiKey: key, maxRetries: 0, timeout: 10_000 });
  };
  const chat = (openai: OpenAI) =>
    openai.chat.completions.create({
      model: `${PROVIDER}/${MODEL.name}`,
      messages: [{ role: 'user', content: 'Hi' }],
    });

  beforeAll(async () => {
    fixture = await startGatewayFixture(engine);
    client = createSwitchboardClient({ url: fixture.server.url, token: fixture.ownerToken });
  });
  afterAll(() => fixture.close());

  it('sets a price on add and changes it with models.update over HTTP, naming a bad field', async () => {
    const added = await client.models.addCustom.mutate({
      workspaceId: fixture.workspaceId,
      provider: PROVIDER,
      model: { name: 'priced-on-add', type: 'llm' },
      credential: { values: { base_url: `${fixture.upstream.url}/v1`, api_key: KEY_A } },
      pricing: { inputPerMillion: 0.25, outputPerMillion: 2 },
    });
    expect(added.attached).toBe(false);
    const models = await client.models.list.query({ workspaceId: fixture.workspaceId, provider: PROVIDER });
    expect(models.find((model) => model.name === 'priced-on-add')).toMatchObject({
      pricing: { inputPerMillion: 0.25, outputPerMillion: 2 },
      pricingSource: 'custom',
    });

    const before = await listed();
    expect(before).toMatchObject({ pricing: null, pricingSource: null });
    const update = { workspaceId: fixture.workspaceId, provider: PROVIDER, model: MODEL };
    const bad = await refusal(
      client.models.update.mutate({ ...update, pricing: { inputPerMillion: -1, outputPerMillion: 1 } }),
    );
    expect(bad.code).toBe('BAD_REQUEST');
    expect(Object.keys(bad.fieldErrors)).toEqual(['pricing.inputPerMillion']);
    const unknownField = await refusal(
      client.models.update.mutate({
        ...update,
        pricing: { inputPerMillion: 1, outputPerMillion: 1, cachedInputPerMillion: 1 } as never,
      }),
    );
    expect(unknownField.code).toBe('BAD_REQUEST');
    expect((await listed())?.pricing).toBeNull();

    const changed = await client.models.update.mutate({
      ...update,
      version: before?.version,
      pricing: { inputPerMillion: 0.1, outputPerMillion: 0.1 },
    });
    expect(changed.version).toBe((before?.version ?? 0) + 1);
    expect(await listed()).toMatchObject({
      pricing: { inputPerMillion: 0.1, outputPerMillion: 0.1 },
      pricingSource: 'custom',
      version: changed.version,
    });
    // Back to no price for the gateway test below, which starts from an unpriced model.
    await client.models.update.mutate({ ...update, version: changed.version, pricing: null });
    expect((await listed())?.pricing).toBeNull();
  });

  it("refuses an unpriced model to a budgeted key, then counts a priced model's calls until 429", async () => {
    // Each call: 1 M input tokens and 1 M output tokens.
    fixture.chatBehaviour.set(KEY_A, (request, response) => {
      const answer = completion((request.json() as { model: string }).model, 'counted');
      answer.usage = { prompt_tokens: 1_000_000, completion_tokens: 1_000_000, total_tokens: 2_000_000 };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer));
    });
    const openai = await budgetedKey('two dollars', 2);
    const unpriced = (await chat(openai).then(
      () => expect.unreachable('an unpriced model must be refused to a budgeted key'),
      (error: unknown) => error,
    )) as InstanceType<typeof OpenAI.PermissionDeniedError>;
    expect(unpriced).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(unpriced.code).toBe('model_not_priced');
    const visible = (await openai.models.list()).data.map((model) => model.id);
    expect(visible).not.toContain(`${PROVIDER}/${MODEL.name}`);
    // A key without a budget still uses it: nothing to count against.
    expect((await chat(fixture.openai)).choices[0]?.message.content).toBe('counted');

    const before = await listed();
    await client.models.update.mutate({
      workspaceId: fixture.workspaceId,
      provider: PROVIDER,
      model: MODEL,
      version: before?.version,
      pricing: { inputPerMillion: 0.5, outputPerMillion: 0.25 },
    });
    const spend = async () =>
      (await listApiKeys(fixture.server.core, fixture.actor, { workspaceId: fixture.workspaceId })).find(
        (key) => key.name === 'two dollars',
      )?.usage?.spendThisMonth;
    // The gateway hears the change and prices the next call: 0.5 + 0.25 USD each.
    await expect
      .poll(async () => (await openai.models.list()).data.map((model) => model.id))
      .toContain(`${PROVIDER}/${MODEL.name}`);
    await chat(openai);
    await expect.poll(spend).toBeCloseTo(0.75, 9);
    await chat(openai);
    await expect.poll(spend).toBeCloseTo(1.5, 9);
    await chat(openai);
    await expect.poll(spend).toBeCloseTo(2.25, 9);
    const over = (await chat(openai).then(
      () => expect.unreachable('the budget is spent'),
      (error: unknown) => error,
    )) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(over).toBeInstanceOf(OpenAI.RateLimitError);
    expect(over.status).toBe(429);
    expect(over.code).toBe('budget_exceeded');
    expect(Number(over.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
