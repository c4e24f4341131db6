import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLES, roleGrants } from './access.ts';

const ARCHITECTURE = new URL('../../../docs/architecture.md', import.meta.url);

/** The role table of docs/architecture.md: permission id -> the roles marked `yes`. */
function documentedRoles(): Record<string, string[]> {
  const text = readFileSync(ARCHITECTURE, 'utf8');
  const section = text.slice(text.indexOf('## Roles'));
  const header = section.split('\n').find((line) => line.startsWith('| permission'));
  const columns = (header ?? '')
    .split('|')
    .map((cell) => cell.trim())
    .slice(2, -1);
  const table: Record<string, string[]> = {};
  for (const line of section.split('\n')) {
    const match = /^\| `([^`]+)`/.exec(line);
    if (!match?.[1]) continue;
    const cells = line
      .split('|')
      .map((cell) => cell.trim())
      .slice(2, -1);
    table[match[1]] = columns.filter((_, index) => cells[index] === 'yes');
  }
  return table;
}

describe('the role table', () => {
  it('in docs/architecture.md says what PERMISSIONS grants, row for row', () => {
    const code = Object.fromEntries(
      Object.keys(PERMISSIONS).map((permission) => [
        permission,
        ROLES.filter((role) => roleGrants(role, permission as keyof typeof PERMISSIONS)),
      ]),
    );
    expect(documentedRoles()).toEqual(code);
  });

  it('gives editors something members lack, and admins something editors lack', () => {
    const granted = (role: (typeof ROLES)[number]) =>
      Object.keys(PERMISSIONS).filter((permission) =>
        roleGrants(role, permission as keyof typeof PERMISSIONS),
      );
    expect(granted('editor').length).toBeGreaterThan(granted('member').length);
    expect(granted('admin').length).toBeGreaterThan(granted('editor').length);
    expect(granted('owner')).toEqual(granted('admin'));
  });
});
