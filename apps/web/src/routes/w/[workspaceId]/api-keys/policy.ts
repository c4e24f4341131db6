import type { FieldErrors, RouterInputs } from '$lib/api';
import { limitReader, type Policy } from './limits';

/** The fields of the policy form, as typed (text inputs): empty means "no restriction". */
export interface PolicyForm {
  models: string;
  maxRequestsPerMinute: string;
  maxTokensPerMinute: string;
  maxMonthlyBudget: string;
}

/** `apiKeys.setPolicy`'s input without the workspace. */
export type PolicyInput = Omit<RouterInputs['apiKeys']['setPolicy'], 'workspaceId'>;

/** The form showing a stored policy. */
export function policyFormOf(policy: Policy): PolicyForm {
  const text = (value: number | null) => (value === null ? '' : String(value));
  return {
    models: policy.models?.join(', ') ?? '',
    maxRequestsPerMinute: text(policy.maxRequestsPerMinute),
    maxTokensPerMinute: text(policy.maxTokensPerMinute),
    maxMonthlyBudget: text(policy.maxMonthlyBudget),
  };
}

/** The API's input for the form (empty fields are null, no restriction), or the fields that are not numbers. */
export function policyInputOf(
  form: PolicyForm,
  version: number,
): { input: PolicyInput; errors: null } | { input: null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const read = limitReader(errors);
  const number = (field: keyof PolicyForm) => read(field, form[field]);
  const models = form.models
    .split(/[\s,]+/)
    .map((model) => model.trim())
    .filter(Boolean);
  const input: PolicyInput = {
    models: models.length > 0 ? models : null,
    maxRequestsPerMinute: number('maxRequestsPerMinute'),
    maxTokensPerMinute: number('maxTokensPerMinute'),
    maxMonthlyBudget: number('maxMonthlyBudget'),
    version,
  };
  return Object.keys(errors).length > 0 ? { input: null, errors } : { input, errors: null };
}

/** Whether the policy restricts editors' keys at all. */
export const restricts = (policy: Policy) =>
  policy.models !== null ||
  policy.maxRequestsPerMinute !== null ||
  policy.maxTokensPerMinute !== null ||
  policy.maxMonthlyBudget !== null;
