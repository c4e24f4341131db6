/** Entries per page. */
export const AUDIT_PAGE = 50;

/** The audit page's filter, kept in the address so a filtered view can be reloaded and shared. */
export interface AuditFilterParams {
  /** A member's user id, or '' for anyone. */
  who: string;
  /** An action family (`credential`), or '' for any. */
  what: string;
  /** First and last day shown (`YYYY-MM-DD`, local), or ''. */
  from: string;
  to: string;
}

/** Action families the filter offers, in the words of the page. */
export const ACTION_FAMILIES: { value: string; label: string }[] = [
  { value: '', label: 'Any change' },
  { value: 'provider', label: 'Providers' },
  { value: 'credential', label: 'Keys (credentials)' },
  { value: 'model', label: 'Models' },
  { value: 'load_balancing', label: 'Load balancing' },
  { value: 'default', label: 'Default models' },
  { value: 'member', label: 'Members and invitations' },
  { value: 'api_key', label: 'API keys' },
  { value: 'workspace', label: 'Workspace' },
  { value: 'cooldown', label: 'Cooldowns' },
];

/** The filter as the address holds it. */
export function readFilter(url: URL): AuditFilterParams {
  const get = (name: string) => url.searchParams.get(name) ?? '';
  return { who: get('who'), what: get('what'), from: get('from'), to: get('to') };
}

/** The address's query for a filter (empty parts left out). */
export function filterQuery(filter: AuditFilterParams): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value) params.set(key, value);
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** Start of a local day as an ISO time; `nextDay` gives the start of the day after (an exclusive end). */
export function dayStart(day: string, nextDay = false): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return new Date(year, month - 1, date + (nextDay ? 1 : 0)).toISOString();
}

/** The API's filter input for the page's filter. */
export function apiFilter(filter: AuditFilterParams) {
  return {
    ...(filter.who ? { actorUserId: filter.who } : {}),
    ...(filter.what ? { action: filter.what } : {}),
    ...(filter.from ? { from: dayStart(filter.from) } : {}),
    ...(filter.to ? { to: dayStart(filter.to, true) } : {}),
  };
}
