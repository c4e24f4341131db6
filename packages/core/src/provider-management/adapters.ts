import type { FormField, ModelType, ProviderAdapter, ProviderId } from '@switchboard/provider-spec';
import type { Core } from '../core.ts';
import type { DbOrTrx } from '../db/schema.ts';
import { badRequest, CoreError, notFound } from '../errors.ts';
import { findInstall } from './install-repository.ts';

// Finding the adapter a request is about, and what its manifest allows.

/** The adapter of a provider this server ships, or NOT_FOUND. */
export function adapterFor(core: Core, provider: string): ProviderAdapter {
  const adapter = core.providers.get(provider as ProviderId);
  if (!adapter) throw notFound(`Provider ${provider}`);
  return adapter;
}

/** The adapter of a provider the workspace installed; PRECONDITION_FAILED when it is not installed. */
export async function installedAdapter(
  core: Core,
  db: DbOrTrx,
  workspaceId: string,
  provider: string,
): Promise<ProviderAdapter> {
  const adapter = adapterFor(core, provider);
  if (!(await findInstall(db, workspaceId, provider)))
    throw new CoreError('PRECONDITION_FAILED', `Install ${adapter.manifest.label} in this workspace first`);
  return adapter;
}

/** Checks that a provider serves models of a type (BAD_REQUEST on `model.type`). */
export function assertServesType(adapter: ProviderAdapter, type: ModelType): void {
  const { manifest } = adapter;
  if (!manifest.modelTypes.includes(type)) {
    const message = `${manifest.label} has no ${type} models`;
    throw badRequest(message, { 'model.type': [`${message}; it serves ${manifest.modelTypes.join(', ')}`] });
  }
}

/** Checks that a provider accepts custom models of a type. */
export function assertCustomizable(adapter: ProviderAdapter, type: ModelType): void {
  const { manifest } = adapter;
  if (!manifest.configurationMethods.includes('customizable')) {
    throw badRequest(`${manifest.label} serves a fixed set of models; it does not accept custom models`, {
      model: [`${manifest.label} does not accept custom models`],
    });
  }
  assertServesType(adapter, type);
}

/** Credential form of a provider, or of its custom models. */
export const credentialForm = (adapter: ProviderAdapter, forModel: boolean): FormField[] =>
  forModel ? adapter.manifest.modelCredentialForm : adapter.manifest.providerCredentialForm;
