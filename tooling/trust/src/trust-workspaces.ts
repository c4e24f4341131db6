import type { ServerResponse } from 'node:http';
import {
  type Actor,
  acceptInvitation,
  addCustomModel,
  createApiKey,
  createPersonalAccessToken,
  createUser,
  createWorkspace,
  type Core,
  inviteMember,
  installProvider,
  login,
  type Role,
  removeMember,
  requireMember,
  revokePersonalAccessToken,
  setDefaultModel,
  setupFirstOwner,
} from '@switchboard/core';
import { type FakeUpstream, type RecordedRequest, startFakeUpstream } from '@switchboard/test-utils';
import type { Credentials } from './trpc-http.ts';

/** The password of every trust-suite account: long enough, obviously fake. */
export const TRUST_PASSWORD = 'trust suite password, not a real one';

/** The operator (the CLI's actor), who creates accounts. */
const OPERATOR: Actor = { kind: 'system', label: 'trust-suite' };

/** The fake provider key of each workspace's credential: obviously fake. */
export const UPSTREAM_KEY = 'sk-test-fake-trust-upstream-key';

/** Every kind of caller the authorization matrix tries, by name. */
export const CALLERS = [
  'anonymous',
  'revokedToken',
  'apiKeyOnTrpc',
  'nonMember',
  'removedMember',
  'member',
  'memberToken',
  'adminReadToken',
  'editor',
  'admin',
  'owner',
] as const;
/** One kind of caller. */
export type CallerName = (typeof CALLERS)[number];

/** A user the fixture made, with their member id where they belong. */
export interface TrustUser {
  id: string;
  email: string;
  actor: Actor;
  memberId?: string;
}

/** Ids of what one workspace holds, for procedures that name a record. */
export interface WorkspaceIds {
  workspaceId: string;
  /** The credential of the custom model `local-model`, and a second one of the same model. */
  credentialId: string;
  secondCredentialId: string;
  /** An API key its owner made, and its secret (`sbk_…`). */
  apiKeyId: string;
  apiKey: string;
  /** A member nobody in the matrix acts as, for role changes and removal. */
  targetMemberId: string;
  /** A pending invitation. */
  invitationId: string;
}

/**
 * Two workspaces on one server: A, with a user of every role (and a non-member, a member who was
 * removed and a revoked token), and B, a stranger's, whose ids A's callers must never reach.
 * Both install the openai-compatible provider pointed at a local fake upstream with one chat and
 * one embedding model, so gateway calls and credential checks make real calls.
 */
export interface TrustWorkspaces {
  /** The fake OpenAI-compatible provider both workspaces use. */
  upstream: FakeUpstream;
  /** Workspace A, plus the API key its editor made. */
  a: WorkspaceIds & { editorApiKeyId: string };
  /** Workspace B, plus its owner's personal access token (id and secret). */
  b: WorkspaceIds & { ownerTokenId: string; ownerToken: string };
  /** The accounts, by part: A's roles, a non-member, a removed member, B's owner. */
  users: Record<'owner' | 'admin' | 'editor' | 'member' | 'outsider' | 'leaver' | 'bOwner', TrustUser>;
  /** How each kind of caller authenticates. */
  callers: Record<CallerName, Credentials>;
  /** A token of A's owner nobody calls with, for `tokens.revoke`. */
  ownerSpareTokenId: string;
  /** A token of A's owner for checks outside the matrix (the matrix's owner signs in by cookie). */
  ownerToken: string;
  /** Stops the fake upstream. */
  close(): Promise<void>;
}

/** OpenAI's chat completion shape, answering `content`. */
function completion(model: string, content: string) {
  return {
    id: 'chatcmpl-trust-1',
    object: 'chat.completion',
    created: 1_764_000_000,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  };
}

function json(response: ServerResponse, body: unknown) {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** A fake OpenAI-compatible upstream: models, chat (streamed or not) and embeddings. */
export async function startTrustUpstream(): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream();
  upstream.route('GET', '/v1/models', {
    json: {
      object: 'list',
      data: [
        { id: 'local-model', object: 'model', created: 0, owned_by: 'local' },
        { id: 'local-embed', object: 'model', created: 0, owned_by: 'local' },
      ],
    },
  });
  upstream.route('POST', '/v1/chat/completions', (request: RecordedRequest, response: ServerResponse) => {
    const body = request.json() as { model?: string; stream?: boolean };
    const model = typeof body.model === 'string' ? body.model : 'local-model';
    if (body.stream) {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const base = { id: 'chatcmpl-trust-2', object: 'chat.completion.chunk', created: 1_764_000_000, model };
      response.write(
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: 'ok' }, finish_reason: null }] })}\n\n`,
      );
      response.write(
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
      );
      response.end('data: [DONE]\n\n');
      return;
    }
    json(response, completion(model, 'ok'));
  });
  upstream.route('POST', '/v1/embeddings', (request: RecordedRequest, response: ServerResponse) => {
    const body = request.json() as { model?: string; input?: unknown };
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    json(response, {
      object: 'list',
      data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2, index] })),
      model: body.model,
      usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
    });
  });
  return upstream;
}

async function account(core: Core, name: string): Promise<TrustUser> {
  const email = `${name}@example.test`;
  const user = await createUser(core, OPERATOR, { email, name, password: TRUST_PASSWORD });
  return { id: user.id, email, actor: { kind: 'user', userId: user.id } };
}

async function join(core: Core, by: Actor, workspaceId: string, user: TrustUser, role: Role): Promise<void> {
  const invitation = await inviteMember(core, by, { workspaceId, email: user.email, role });
  await acceptInvitation(core, user.actor, { invitationId: invitation.id });
  user.memberId = (await requireMember(core.db, user.id, workspaceId)).memberId;
}

async function session(core: Core, user: TrustUser): Promise<Credentials> {
  const { sessionToken } = await login(core, {
    email: user.email,
    password: TRUST_PASSWORD,
    clientAddress: 'trust',
  });
  return { session: sessionToken };
}

/** The chat model with two credentials, an embedding model, the chat default, an API key, a target member and an invitation. */
async function furnish(
  core: Core,
  owner: TrustUser,
  workspaceId: string,
  upstream: FakeUpstream,
  label: string,
): Promise<WorkspaceIds> {
  const values = { base_url: `${upstream.url}/v1`, api_key: UPSTREAM_KEY };
  await installProvider(core, owner.actor, { workspaceId, provider: 'openai-compatible' });
  const first = await addCustomModel(core, owner.actor, {
    workspaceId,
    provider: 'openai-compatible',
    model: { name: 'local-model', type: 'llm' },
    credential: { name: 'key-one', values },
  });
  const second = await addCustomModel(core, owner.actor, {
    workspaceId,
    provider: 'openai-compatible',
    model: { name: 'local-model', type: 'llm' },
    credential: { name: 'key-two', values },
  });
  await addCustomModel(core, owner.actor, {
    workspaceId,
    provider: 'openai-compatible',
    model: { name: 'local-embed', type: 'text-embedding' },
    credential: { name: 'embed-key', values },
  });
  await setDefaultModel(core, owner.actor, {
    workspaceId,
    provider: 'openai-compatible',
    model: { name: 'local-model', type: 'llm' },
  });
  const apiKey = await createApiKey(core, owner.actor, { workspaceId, name: `${label} app` });
  const target = await account(core, `${label}-target`);
  await join(core, owner.actor, workspaceId, target, 'member');
  const invitation = await inviteMember(core, owner.actor, {
    workspaceId,
    email: `${label}-invitee@example.test`,
    role: 'member',
  });
  if (!first.credential || !second.credential) throw new Error('addCustomModel returned no credential');
  return {
    workspaceId,
    credentialId: first.credential.id,
    secondCredentialId: second.credential.id,
    apiKeyId: apiKey.view.id,
    apiKey: apiKey.key,
    targetMemberId: target.memberId as string,
    invitationId: invitation.id,
  };
}

/** Sets up workspaces A and B (see `TrustWorkspaces`) through core, on the server's database. */
export async function createTrustWorkspaces(core: Core): Promise<TrustWorkspaces> {
  const upstream = await startTrustUpstream();
  const setup = await setupFirstOwner(core, {
    email: 'owner@example.test',
    password: TRUST_PASSWORD,
    name: 'owner',
    workspaceName: 'A',
  });
  const owner: TrustUser = {
    id: setup.user.id,
    email: setup.user.email,
    actor: { kind: 'user', userId: setup.user.id },
  };
  const workspaceA = setup.workspace.id;
  owner.memberId = (await requireMember(core.db, owner.id, workspaceA)).memberId;
  const admin = await account(core, 'admin');
  const editor = await account(core, 'editor');
  const member = await account(core, 'member');
  const outsider = await account(core, 'outsider');
  const leaver = await account(core, 'leaver');
  const bOwner = await account(core, 'b-owner');
  await join(core, owner.actor, workspaceA, admin, 'admin');
  await join(core, owner.actor, workspaceA, editor, 'editor');
  await join(core, owner.actor, workspaceA, member, 'member');
  await join(core, owner.actor, workspaceA, leaver, 'member');
  const a = await furnish(core, owner, workspaceA, upstream, 'a');
  const editorKey = await createApiKey(core, editor.actor, { workspaceId: workspaceA, name: 'editor app' });
  await removeMember(core, owner.actor, { workspaceId: workspaceA, memberId: leaver.memberId as string });

  const workspaceB = await createWorkspace(core, bOwner.actor, { name: 'B' });
  bOwner.memberId = (await requireMember(core.db, bOwner.id, workspaceB.id)).memberId;
  const b = await furnish(core, bOwner, workspaceB.id, upstream, 'b');
  const bToken = await createPersonalAccessToken(core, bOwner.actor, { name: 'b owner' });

  const memberToken = await createPersonalAccessToken(core, member.actor, { name: 'member script' });
  const revoked = await createPersonalAccessToken(core, member.actor, { name: 'revoked' });
  await revokePersonalAccessToken(core, member.actor, { tokenId: revoked.view.id });
  const spare = await createPersonalAccessToken(core, owner.actor, { name: 'spare' });
  const adminRead = await createPersonalAccessToken(core, admin.actor, {
    name: 'read only',
    scopes: ['read'],
  });

  const callers: Record<CallerName, Credentials> = {
    anonymous: null,
    revokedToken: { bearer: revoked.token },
    apiKeyOnTrpc: { bearer: a.apiKey },
    nonMember: await session(core, outsider),
    removedMember: await session(core, leaver),
    member: await session(core, member),
    memberToken: { bearer: memberToken.token },
    adminReadToken: { bearer: adminRead.token },
    editor: await session(core, editor),
    admin: await session(core, admin),
    owner: await session(core, owner),
  };
  return {
    upstream,
    a: { ...a, editorApiKeyId: editorKey.view.id },
    b: { ...b, ownerTokenId: bToken.view.id, ownerToken: bToken.token },
    users: { owner, admin, editor, member, outsider, leaver, bOwner },
    callers,
    ownerSpareTokenId: spare.view.id,
    ownerToken: setup.token,
    close: () => upstream.close(),
  };
}
