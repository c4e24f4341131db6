import { MODEL_TYPES } from '@switchboard/provider-spec';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { DEFAULT_MODEL_TYPES } from '../provider-management/types.ts';
import { apiKeyEntrySchema, apiKeyPolicySchema } from './api-keys.ts';

/** One thing wrong with a configuration file, at a path such as `providers.openai.credentials[0].values.api_key`. */
export interface ConfigProblem {
  path: string;
  message: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A value read from the environment when the file is applied: how secrets appear in a file. */
export const envReferenceSchema = z.strictObject({
  env: z.string().regex(ENV_NAME, 'must be an environment variable name (letters, digits, underscores)'),
});

const valueSchema = z.union([z.string(), z.number(), z.boolean(), envReferenceSchema], {
  error: 'must be text, a number, true/false, or { env: NAME }',
});

const credentialSchema = z.strictObject({
  name: z.string().trim().min(1, 'a credential needs a name'),
  values: z.record(z.string(), valueSchema).default({}),
  active: z.boolean().optional(),
});

const modelSchema = z.strictObject({
  name: z.string().trim().min(1, 'a model needs a name'),
  type: z.enum(MODEL_TYPES),
  /** Name of an entry of the provider's `credentials` that this custom model uses. */
  credential: z.string().trim().min(1).optional(),
  /** The model's own credentials, when they are not shared with the provider's list. */
  credentials: z.array(credentialSchema).optional(),
  enabled: z.boolean().optional(),
  /** A custom model's price in USD per million tokens (the catalog's shape); left out: no price. */
  pricing: z
    .strictObject({
      inputPerMillion: z.number({ error: 'must be a price in USD per million tokens' }),
      outputPerMillion: z.number({ error: 'must be a price in USD per million tokens' }).optional(),
    })
    .nullable()
    .optional(),
});

const providerSchema = z
  .strictObject({
    credentials: z.array(credentialSchema).optional(),
    models: z.array(modelSchema).optional(),
  })
  .nullable()
  .transform((provider) => provider ?? {});

const defaultSchema = z.string().regex(/^[^/\s]+\/\S.*$/, 'must be provider/model');

/** The configuration-as-code file. A section left out is left as it is; a section given is matched exactly. */
export const configSchema = z.strictObject({
  /** Workspace name (or id). */
  workspace: z.string().trim().min(1, 'name the workspace'),
  /** Uninstall providers the file does not list (default false: they are left alone). */
  prune: z.boolean().default(false),
  providers: z.record(z.string(), providerSchema).optional(),
  defaults: z.partialRecord(z.enum(DEFAULT_MODEL_TYPES), defaultSchema.nullable()).optional(),
  /** Limits of existing API keys, by name (keys left out are left alone). */
  apiKeys: z.array(apiKeyEntrySchema).optional(),
  /** What editors' API keys may reach and spend. */
  apiKeyPolicy: apiKeyPolicySchema.optional(),
});

/** A parsed, structurally valid configuration file. */
export type ConfigFile = z.output<typeof configSchema>;
/** A credential entry of the file. */
export type ConfigCredential = z.output<typeof credentialSchema>;
/** A model entry of the file. */
export type ConfigModel = z.output<typeof modelSchema>;
/** A value in a credential entry: literal, or `{ env: NAME }`. */
export type ConfigValue = z.output<typeof valueSchema>;

/** `providers.openai.credentials[0].values.api_key` from path segments. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else path += path ? `.${String(segment)}` : String(segment);
  }
  return path || '(file)';
}

/** Checks what the schema cannot: unique names, one active credential, references that resolve. */
function crossCheck(config: ConfigFile): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const checkCredentials = (list: ConfigCredential[] | undefined, base: string) => {
    const seen = new Set<string>();
    list?.forEach((credential, index) => {
      if (seen.has(credential.name))
        problems.push({ path: `${base}[${index}].name`, message: `"${credential.name}" appears twice` });
      seen.add(credential.name);
    });
    if ((list ?? []).filter((credential) => credential.active).length > 1) {
      problems.push({ path: base, message: 'only one credential can be active' });
    }
  };
  const keyNames = new Set<string>();
  config.apiKeys?.forEach((key, index) => {
    if (keyNames.has(key.name))
      problems.push({ path: `apiKeys[${index}].name`, message: `"${key.name}" appears twice` });
    keyNames.add(key.name);
  });
  for (const [provider, entry] of Object.entries(config.providers ?? {})) {
    const base = `providers.${provider}`;
    checkCredentials(entry.credentials, `${base}.credentials`);
    const names = new Set((entry.credentials ?? []).map((credential) => credential.name));
    const models = new Set<string>();
    entry.models?.forEach((model, index) => {
      const path = `${base}.models[${index}]`;
      const key = `${model.type}/${model.name}`;
      if (models.has(key))
        problems.push({ path: `${path}.name`, message: `${model.name} (${model.type}) appears twice` });
      models.add(key);
      if (model.credential !== undefined && !names.has(model.credential)) {
        problems.push({
          path: `${path}.credential`,
          message: `no credential named "${model.credential}" in ${base}.credentials`,
        });
      }
      checkCredentials(model.credentials, `${path}.credentials`);
      if (
        model.credential !== undefined &&
        model.credentials?.some((credential) => credential.name === model.credential)
      ) {
        problems.push({
          path: `${path}.credentials`,
          message: `"${model.credential}" is both referenced and listed here`,
        });
      }
    });
  }
  return problems;
}

/** Reads and checks a configuration file (YAML). Every problem is listed, each with its path. */
export function parseConfigFile(text: string): { config: ConfigFile } | { problems: ConfigProblem[] } {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      problems: document.errors.map((error) => ({
        path: '(file)',
        message: error.message.split('\n')[0] ?? error.message,
      })),
    };
  }
  const parsed = configSchema.safeParse(document.toJS() ?? {});
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.flatMap((issue) =>
        // One problem per unknown key, at the key itself, so each one points where to look.
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown key' }))
          : [{ path: formatPath(issue.path), message: issue.message }],
      ),
    };
  }
  const problems = crossCheck(parsed.data);
  return problems.length > 0 ? { problems } : { config: parsed.data };
}
