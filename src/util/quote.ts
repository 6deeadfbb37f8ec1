// Client input quoted in an error message (a cursor, a name) may be megabytes: quote its start.
const MAX_QUOTED = 200;

export function quoteInput(s: string): string {
  return s.length > MAX_QUOTED ? `${s.slice(0, MAX_QUOTED)}… (${s.length} characters)` : s;
}
