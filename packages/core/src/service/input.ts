import { ROLES, type Role } from '../access.ts';
import { badRequest, type FieldErrors } from '../errors.ts';
import { MAX_PASSWORD_LENGTH, PASSWORD_TOO_LONG } from '../accounts/passwords.ts';

// The one input-validation style of core services (decision 0010): every rule is checked in
// core, so the API, the CLI and config as code get the same answer; failures are field errors
// collected and thrown together as BAD_REQUEST, the shape provider management's form checks use.

/** Shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 8;
const MAX_EMAIL_LENGTH = 254;
const MAX_NAME_LENGTH = 100;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Collects field errors so one answer names every bad field, then throws them
 * together before anything is written.
 */
export class InputCheck {
  readonly #errors: FieldErrors = {};

  /** Records a message for `field`. */
  fail(field: string, message: string): void {
    this.#errors[field] = [...(this.#errors[field] ?? []), message];
  }

  /** A trimmed, lower-cased email, or '' after recording why it is not one. */
  email(field: string, value: unknown): string {
    const email = typeof value === 'string' ? value.trim().toLowerCase() : '';
    if (!email) this.fail(field, 'Email is required');
    else if (email.length > MAX_EMAIL_LENGTH || !EMAIL_PATTERN.test(email))
      this.fail(field, 'Enter a valid email address');
    return email;
  }

  /** A trimmed display name of 1 to 100 characters. */
  name(field: string, value: unknown, label = 'Name'): string {
    const name = typeof value === 'string' ? value.trim() : '';
    if (!name) this.fail(field, `${label} is required`);
    else if (name.length > MAX_NAME_LENGTH)
      this.fail(field, `${label} must be at most ${MAX_NAME_LENGTH} characters`);
    return name;
  }

  /** A password of at least 8 characters (kept as typed: spaces count). */
  password(field: string, value: unknown): string {
    const password = typeof value === 'string' ? value : '';
    if (password.length < MIN_PASSWORD_LENGTH) {
      this.fail(field, `Password must be at least ${MIN_PASSWORD_LENGTH} characters`);
    } else if (password.length > MAX_PASSWORD_LENGTH) {
      this.fail(field, PASSWORD_TOO_LONG);
    }
    return password;
  }

  /** A non-empty string (ids, tokens). */
  required(field: string, value: unknown, label: string): string {
    const text = typeof value === 'string' ? value.trim() : '';
    if (!text) this.fail(field, `${label} is required`);
    return text;
  }

  /** One of the workspace roles. */
  role(field: string, value: unknown): Role {
    if (typeof value !== 'string' || !(ROLES as readonly string[]).includes(value)) {
      this.fail(field, `Role must be one of ${ROLES.join(', ')}`);
      return 'member';
    }
    return value as Role;
  }

  /** A whole number from `min` to `max`. */
  integer(field: string, value: unknown, min: number, max: number, label: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `${label} must be a whole number from ${min} to ${max}`);
      return min;
    }
    return value;
  }

  /** A positive integer version, for optimistic concurrency. */
  version(field: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      this.fail(field, 'Version must be a positive integer');
      return 0;
    }
    return value;
  }

  /** Throws BAD_REQUEST naming every failed field, if any. */
  done(): void {
    const fields = Object.keys(this.#errors);
    if (fields.length === 0) return;
    const message = fields.map((field) => `${field}: ${(this.#errors[field] ?? []).join(', ')}`).join('; ');
    throw badRequest(message, this.#errors);
  }
}
