// The authorization matrix (issue 13, suite 1): every procedure of the router, called over real
// HTTP by every kind of caller, against the table below of what each role may do.
//
// One engine (SQLite) is enough here: who may do what is decided in core (`authorize`, one
// membership read) and in the /trpc handler, the same code on both engines; the storage layer
// under it is tested on both engines by core's own suites. The matrix runs against a real server
// process as `pnpm start` runs it, so the transport (cookies, the cross-site check, bearer tokens,
// SSE) is part of what is checked.
import { createApiKey, type Permission, type Role } from '@switchboard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseSnapshot, snapshotChanges } from '../src/db-snapshot.ts';
import { routerProcedures } from '../src/router-procedures.ts';
import { recordTrust, type TrustRow } from '../src/summary.ts';
import { callTrpc, type Credentials } from '../src/trpc-http.ts';
import { Processes, startTrustServer, type TrustServer } from '../src/trust-server.ts';
import {
  CALLERS,
  type CallerName,
  createTrustWorkspaces,
  TRUST_PASSWORD,
  type TrustWorkspaces,
} from '../src/trust-workspaces.ts';

const ALL: readonly Role[] = ['owner', 'admin', 'editor', 'member'];
const API_KEYS: readonly Role[] = ['owner', 'admin', 'editor'];
const MANAGE: readonly Role[] = ['owner', 'admin'];

/**
 * Who may call a procedure: anyone (`public`), any signed-in user acting on their own account
 * (`signed-in`), or the members of the named workspace with one of these roles.
 */
type Access = 'public' | 'signed-in' | readonly Role[];

/** One row of the table: who may call, and an input valid enough to reach the authorization check. */
interface Row {
  access: Access;
  /** For a `signed-in` row: the token scope it needs beyond signing in (a session or unscoped token has every one). */
  scope?: Permission;
  /** The input for `caller` (workspace A unless it says otherwise). */
  input: (w: TrustWorkspaces, caller: CallerName) => unknown;
  /** Runs after every other procedure (it ends the caller's session). */
  last?: boolean;
}

const model = { name: 'local-model', type: 'llm' } as const;
const provider = 'openai-compatible';
const ws = (w: TrustWorkspaces) => ({ workspaceId: w.a.workspaceId });
const fakeValues = (w: TrustWorkspaces) => ({
  base_url: `${w.upstream.url}/v1`,
  api_key: 'sk-test-fake-matrix',
});
// A version no record has: allowed edits answer CONFLICT and change nothing, so later callers see the same state.
const STALE = 999;

/**
 * What each role may do, procedure by procedure: the reviewed statement the product is checked
 * against. A procedure missing here fails the suite, so a new one cannot slip in unreviewed.
 */
const TABLE: Record<string, Row> = {
  'auth.status': { access: 'public', input: () => undefined },
  'auth.setup': {
    access: 'public',
    input: () => ({ email: 'late@example.test', password: TRUST_PASSWORD, workspaceName: 'Late' }),
  },
  'auth.login': {
    access: 'public',
    input: (w) => ({ email: w.users.member.email, password: TRUST_PASSWORD }),
  },
  'auth.createToken': {
    access: 'public',
    input: (w) => ({ email: w.users.member.email, password: TRUST_PASSWORD, name: 'matrix' }),
  },
  'auth.logout': { access: 'signed-in', input: () => undefined, last: true },
  'auth.me': { access: 'signed-in', input: () => undefined },
  'tokens.list': { access: 'signed-in', input: () => undefined },
  'tokens.create': { access: 'signed-in', input: () => ({ name: 'matrix' }) },
  // Everyone names the owner's spare token: only the owner finds it.
  'tokens.revoke': { access: 'signed-in', input: (w) => ({ tokenId: w.ownerSpareTokenId }) },
  'workspaces.list': { access: 'signed-in', input: () => undefined },
  'workspaces.create': {
    access: 'signed-in',
    scope: 'manage',
    input: () => ({ name: 'Made by the matrix' }),
  },
  'workspaces.byId': { access: ALL, input: ws },
  'workspaces.rename': { access: MANAGE, input: (w) => ({ ...ws(w), name: 'Renamed', version: STALE }) },
  'members.list': { access: ALL, input: ws },
  'members.invitations': { access: MANAGE, input: ws },
  'members.invite': {
    access: MANAGE,
    input: (w) => ({ ...ws(w), email: 'matrix@example.test', role: 'member' }),
  },
  'members.changeRole': {
    access: MANAGE,
    input: (w) => ({ ...ws(w), memberId: w.a.targetMemberId, role: 'editor', version: STALE }),
  },
  'members.remove': { access: MANAGE, input: (w) => ({ ...ws(w), memberId: w.a.targetMemberId }) },
  // A's pending invitation: the first manager revokes it, the next finds it gone (NOT_FOUND).
  'members.revokeInvitation': {
    access: MANAGE,
    input: (w) => ({ ...ws(w), invitationId: w.a.invitationId }),
  },
  'members.myInvitations': { access: 'signed-in', input: () => undefined },
  // An invitation for someone else's email: every signed-in caller is let in, and none finds it.
  'members.accept': {
    access: 'signed-in',
    scope: 'manage',
    input: (w) => ({ invitationId: w.a.invitationId }),
  },
  'apiKeys.list': { access: ALL, input: ws },
  'apiKeys.create': { access: API_KEYS, input: (w) => ({ ...ws(w), name: 'matrix' }) },
  // The editor's own key: the editor may revoke it, as may admins and owners (any key).
  'apiKeys.revoke': { access: API_KEYS, input: (w) => ({ ...ws(w), apiKeyId: w.a.editorApiKeyId }) },
  // The editor's own key at a stale version: allowed callers get CONFLICT and change nothing.
  'apiKeys.update': {
    access: API_KEYS,
    input: (w) => ({ ...ws(w), apiKeyId: w.a.editorApiKeyId, requestsPerMinute: 5, version: STALE }),
  },
  'apiKeys.policy': { access: ALL, input: ws },
  'apiKeys.setPolicy': {
    access: MANAGE,
    input: (w) => ({ ...ws(w), maxRequestsPerMinute: 5, version: STALE }),
  },
  'audit.list': { access: MANAGE, input: (w) => ({ ...ws(w), limit: 5 }) },
  'changes.subscribe': { access: ALL, input: ws },
  'providers.catalog': { access: ALL, input: ws },
  'providers.list': { access: ALL, input: ws },
  'providers.install': { access: MANAGE, input: (w) => ({ ...ws(w), provider: 'anthropic' }) },
  'providers.uninstall': { access: MANAGE, input: (w) => ({ ...ws(w), provider, version: STALE }) },
  'credentials.list': { access: ALL, input: (w) => ({ ...ws(w), provider, model }) },
  'credentials.lastSuccesses': { access: ALL, input: ws },
  'credentials.validate': {
    access: MANAGE,
    input: (w) => ({ ...ws(w), provider, model, values: fakeValues(w) }),
  },
  'credentials.create': {
    access: MANAGE,
    input: (w) => ({ ...ws(w), provider, model, name: 'matrix', values: fakeValues(w) }),
  },
  'credentials.update': {
    access: MANAGE,
    input: (w) => ({ ...ws(w), credentialId: w.a.secondCredentialId, version: STALE, name: 'renamed' }),
  },
  'credentials.remove': {
    access: MANAGE,
    input: (w) => ({ ...ws(w), credentialId: w.a.secondCredentialId, version: STALE }),
  },
  'credentials.activate': {
    access: MANAGE,
    input: (w) => ({ ...ws(w), credentialId: w.a.secondCredentialId, version: STALE }),
  },
  'credentials.revalidate': {
    access: MANAGE,
    input: (w) => ({ ...ws(w), credentialId: w.a.secondCredentialId }),
  },
  'models.list': { access: ALL, input: ws },
  'models.addCustom': {
    access: MANAGE,
    input: (w) => ({
      ...ws(w),
      provider,
      model: { name: 'matrix-model', type: 'llm' },
      credential: { credentialId: w.a.credentialId },
    }),
  },
  'models.remove': { access: MANAGE, input: (w) => ({ ...ws(w), provider, model, version: STALE }) },
  'models.update': {
    access: MANAGE,
    input: (w) => ({ ...ws(w), provider, model, version: STALE, pricing: null }),
  },
  'models.discover': {
    access: MANAGE,
    input: (w) => ({ ...ws(w), provider, credentialId: w.a.credentialId }),
  },
  'models.addDiscovered': {
    access: MANAGE,
    input: (w) => ({ ...ws(w), provider, credentialId: w.a.credentialId, models: [model] }),
  },
  'models.enable': { access: MANAGE, input: (w) => ({ ...ws(w), provider, model, version: STALE }) },
  'models.disable': { access: MANAGE, input: (w) => ({ ...ws(w), provider, model, version: STALE }) },
  // Every custom model's credentials, masked: what `credentials.list` shows, for the manage dialog.
  'models.manageCredentials': { access: ALL, input: (w) => ({ ...ws(w), provider }) },
  'defaults.get': { access: ALL, input: ws },
  'defaults.set': { access: MANAGE, input: (w) => ({ ...ws(w), provider, model, version: STALE }) },
  'defaults.clear': { access: MANAGE, input: (w) => ({ ...ws(w), type: 'llm', version: STALE }) },
  'loadBalancing.get': { access: ALL, input: (w) => ({ ...ws(w), provider, model }) },
  'loadBalancing.set': {
    access: MANAGE,
    input: (w) => ({ ...ws(w), provider, model, enabled: false, version: STALE }),
  },
  'usage.summary': { access: MANAGE, input: ws },
  'responses.retention': { access: ALL, input: ws },
  'responses.setRetention': { access: MANAGE, input: (w) => ({ ...ws(w), days: 30 }) },
};

/** The role each caller has in workspace A, or what it is instead. */
const ROLE_OF: Record<CallerName, Role | 'anonymous' | 'stranger'> = {
  anonymous: 'anonymous',
  revokedToken: 'anonymous',
  apiKeyOnTrpc: 'anonymous',
  nonMember: 'stranger',
  removedMember: 'stranger',
  member: 'member',
  memberToken: 'member',
  adminReadToken: 'admin',
  editor: 'editor',
  admin: 'admin',
  owner: 'owner',
};

/** The scopes of a caller's token; every other caller has them all (a session, an unscoped token). */
const SCOPES_OF: Partial<Record<CallerName, readonly Permission[]>> = { adminReadToken: ['read'] };

/** What a scope lets a token do: `manage` includes the others, `api-keys.own` includes `read`. */
const SCOPE_COVERS: Record<Permission, readonly Permission[]> = {
  read: ['read'],
  'api-keys.own': ['api-keys.own', 'read'],
  manage: ['manage', 'api-keys.own', 'read'],
};

/** The permission a workspace row's role list stands for. */
function permissionOf(roles: readonly Role[]): Permission {
  if (roles.includes('member')) return 'read';
  return roles.includes('editor') ? 'api-keys.own' : 'manage';
}

function scopeAllows(caller: CallerName, permission: Permission | undefined): boolean {
  const scopes = SCOPES_OF[caller];
  return !permission || !scopes || scopes.some((scope) => SCOPE_COVERS[scope].includes(permission));
}

/** `allow`, or the exact code a refused call must get. */
function expected(row: Row, caller: CallerName): 'allow' | 'UNAUTHORIZED' | 'NOT_FOUND' | 'FORBIDDEN' {
  const { access } = row;
  if (access === 'public') return 'allow';
  const role = ROLE_OF[caller];
  if (role === 'anonymous') return 'UNAUTHORIZED';
  if (access === 'signed-in') return scopeAllows(caller, row.scope) ? 'allow' : 'FORBIDDEN';
  if (role === 'stranger') return 'NOT_FOUND';
  return access.includes(role) && scopeAllows(caller, permissionOf(access)) ? 'allow' : 'FORBIDDEN';
}

describe('authorization matrix', () => {
  const processes = new Processes();
  let server: TrustServer;
  let w: TrustWorkspaces;
  const rows: TrustRow[] = [];

  beforeAll(async () => {
    server = await startTrustServer(processes);
    w = await createTrustWorkspaces(server.core);
  });

  afterAll(async () => {
    recordTrust('authorization-matrix', rows);
    await w?.close();
    await server?.close();
    processes.killAll();
  });

  it('has a reviewed row for every procedure of the router, and no row for one that is gone', () => {
    const paths = routerProcedures().map((procedure) => procedure.path);
    expect(
      paths.filter((path) => !(path in TABLE)),
      'procedures without a row in TABLE',
    ).toEqual([]);
    expect(
      Object.keys(TABLE).filter((path) => !paths.includes(path)),
      'rows of no procedure',
    ).toEqual([]);
  });

  it('lets every caller do exactly what the table says, and a refused call changes nothing', async () => {
    const procedures = routerProcedures()
      .filter(({ path }) => TABLE[path])
      .sort((a, b) => Number(TABLE[a.path]?.last ?? false) - Number(TABLE[b.path]?.last ?? false));
    const wrong: string[] = [];
    let letIn = 0;
    let refused = 0;
    let exact = 0;
    let changedByRefused = 0;
    let calls = 0;
    for (const { path, type } of procedures) {
      const row = TABLE[path] as Row;
      // Refused callers first, so what an allowed caller did cannot hide what a refused one did.
      const callers = [...CALLERS].sort(
        (a, b) => Number(expected(row, a) === 'allow') - Number(expected(row, b) === 'allow'),
      );
      for (const caller of callers) {
        const want = expected(row, caller);
        const before = want === 'allow' ? undefined : await databaseSnapshot(server.core);
        // A subscription let in stays open: a change made once it is open must reach it as a notice.
        const notice = async () => {
          await createApiKey(server.core, w.users.owner.actor, {
            workspaceId: w.a.workspaceId,
            name: 'notice',
          });
        };
        const answer = await callTrpc(
          server.url,
          path,
          type,
          row.input(w, caller),
          w.callers[caller] as Credentials,
          {
            whileOpen: want === 'allow' ? notice : undefined,
          },
        );
        calls += 1;
        if (answer.code === 'INTERNAL_SERVER_ERROR' || answer.status >= 500) {
          wrong.push(`${path} as ${caller}: ${answer.status} ${JSON.stringify(answer.body)}`);
          continue;
        }
        if (want === 'allow') {
          if (answer.code === 'UNAUTHORIZED' || answer.code === 'FORBIDDEN') {
            wrong.push(`${path} as ${caller}: refused with ${answer.code}, the table allows it`);
          } else if (type === 'subscription' && (answer.code !== null || answer.body === 'silent')) {
            wrong.push(`${path} as ${caller}: no notice of a change (${answer.code ?? 'silent'})`);
          }
          continue;
        }
        refused += 1;
        if (answer.code === want) exact += 1;
        else {
          if (answer.code === null) letIn += 1;
          wrong.push(`${path} as ${caller}: ${answer.code ?? 'let in'}, expected ${want}`);
        }
        const changes = snapshotChanges(before ?? {}, await databaseSnapshot(server.core));
        if (changes.length > 0) {
          changedByRefused += 1;
          wrong.push(`${path} as ${caller} was refused but changed ${changes.join(', ')}`);
        }
      }
    }
    rows.push({
      check: 'procedures x callers',
      tried: `${procedures.length} x ${CALLERS.length} = ${calls}`,
      result: `${letIn} let in, ${wrong.length} wrong answers, ${exact} of ${refused} refused with the exact code`,
    });
    rows.push({
      check: 'changes by refused calls',
      tried: refused,
      result: `${changedByRefused} changed a row`,
    });
    expect(wrong).toEqual([]);
  });

  it("answers NOT_FOUND for another workspace's ids everywhere, /v1 included, and changes nothing", async () => {
    // B keeps one stored response, made through the gateway with B's own key.
    const made = await fetch(`${server.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.b.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'default', input: 'hello' }),
    });
    expect(made.status).toBe(200);
    const bResponseId = ((await made.json()) as { id: string }).id;
    const ownB = await fetch(`${server.url}/v1/responses/${bResponseId}`, {
      headers: { authorization: `Bearer ${w.b.apiKey}` },
    });
    expect(ownB.status, "B's own key reads B's response").toBe(200);
    // The gateway writes usage in the background: wait for that call's, so it is not taken for a change below.
    await expect
      .poll(async () => (await server.core.db.selectFrom('usage_events').select('id').execute()).length, {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);

    const owner: Credentials = { bearer: w.ownerToken };
    const inA = { workspaceId: w.a.workspaceId };
    const cases: {
      what: string;
      run: () => Promise<{ status: number; code: string | null }>;
      want: string;
    }[] = [];
    // Every workspace procedure, as A's owner, naming workspace B.
    for (const { path, type } of routerProcedures()) {
      const row = TABLE[path];
      if (!row || typeof row.access === 'string') continue;
      const input = { ...(row.input(w, 'owner') as object), workspaceId: w.b.workspaceId };
      cases.push({
        what: `${path} in B`,
        run: () => callTrpc(server.url, path, type, input, owner),
        want: 'NOT_FOUND',
      });
    }
    // Workspace A's procedures, naming B's records.
    const byId: [string, 'query' | 'mutation', unknown][] = [
      ['credentials.update', 'mutation', { ...inA, credentialId: w.b.credentialId, name: 'taken' }],
      ['credentials.remove', 'mutation', { ...inA, credentialId: w.b.secondCredentialId }],
      ['credentials.activate', 'mutation', { ...inA, credentialId: w.b.secondCredentialId }],
      ['credentials.revalidate', 'mutation', { ...inA, credentialId: w.b.credentialId }],
      [
        'credentials.validate',
        'mutation',
        { ...inA, provider, model, credentialId: w.b.credentialId, values: {} },
      ],
      ['apiKeys.revoke', 'mutation', { ...inA, apiKeyId: w.b.apiKeyId }],
      ['members.changeRole', 'mutation', { ...inA, memberId: w.b.targetMemberId, role: 'admin', version: 1 }],
      ['members.remove', 'mutation', { ...inA, memberId: w.b.targetMemberId }],
      ['members.accept', 'mutation', { invitationId: w.b.invitationId }],
      ['members.revokeInvitation', 'mutation', { ...inA, invitationId: w.b.invitationId }],
      ['tokens.revoke', 'mutation', { tokenId: w.b.ownerTokenId }],
      [
        'models.addCustom',
        'mutation',
        {
          ...inA,
          provider,
          model: { name: 'stolen', type: 'llm' },
          credential: { credentialId: w.b.credentialId },
        },
      ],
      ['models.discover', 'mutation', { ...inA, provider, credentialId: w.b.credentialId }],
    ];
    for (const [path, type, input] of byId) {
      cases.push({
        what: `${path} with B's id`,
        run: () => callTrpc(server.url, path, type, input, owner),
        want: 'NOT_FOUND',
      });
    }
    // The gateway: A's API key naming B's stored response.
    const v1 =
      (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      async () => {
        const response = await fetch(`${server.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${w.a.apiKey}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...headers,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await response.text();
        return {
          status: response.status,
          code: response.status === 404 ? 'NOT_FOUND' : `HTTP_${response.status}:${text}`,
        };
      };
    cases.push(
      { what: 'GET /v1/responses/{B}', run: v1('GET', `/v1/responses/${bResponseId}`), want: 'NOT_FOUND' },
      {
        what: 'DELETE /v1/responses/{B}',
        run: v1('DELETE', `/v1/responses/${bResponseId}`),
        want: 'NOT_FOUND',
      },
      {
        what: 'POST /v1/responses previous_response_id={B}',
        run: v1('POST', '/v1/responses', {
          model: 'default',
          input: 'hi',
          previous_response_id: bResponseId,
        }),
        want: 'NOT_FOUND',
      },
    );
    // A's owner's token naming workspace B gets the answer a workspace that does not exist gets.
    const asOwnerIn = (workspace: string) => async () => {
      const response = await fetch(`${server.url}/v1/models`, {
        headers: { authorization: `Bearer ${w.ownerToken}`, 'x-switchboard-workspace': workspace },
      });
      return { status: response.status, code: `${response.status} ${await response.text()}` };
    };
    const nowhere = await asOwnerIn('ws_does_not_exist')();
    expect(nowhere.status).toBe(401);
    cases.push({
      what: "GET /v1/models as A's owner in B",
      run: asOwnerIn(w.b.workspaceId),
      want: nowhere.code,
    });

    const wrong: string[] = [];
    let letIn = 0;
    for (const { what, run, want } of cases) {
      const before = await databaseSnapshot(server.core);
      const answer = await run();
      if (answer.code !== want) {
        if (answer.code === null || answer.status < 300) letIn += 1;
        wrong.push(`${what}: ${answer.code ?? 'let in'}, expected ${want}`);
      }
      const changes = snapshotChanges(before, await databaseSnapshot(server.core));
      if (changes.length > 0) wrong.push(`${what} changed ${changes.join(', ')}`);
    }
    const stillThere = await fetch(`${server.url}/v1/responses/${bResponseId}`, {
      headers: { authorization: `Bearer ${w.b.apiKey}` },
    });
    expect(stillThere.status, "B's response survived A's DELETE").toBe(200);
    rows.push({
      check: 'cross-workspace ids',
      tried: cases.length,
      result: `${letIn} let in, ${wrong.length} wrong answers`,
    });
    expect(wrong).toEqual([]);
  });
});
