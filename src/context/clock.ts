// Local date (YYYY-MM-DD) and IANA time zone, as turn_context and the environment context carry them.
export function localDateAndZone(now: Date): { date: string; timezone: string } {
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || "Etc/UTC";
  const p = (n: number) => String(n).padStart(2, "0");
  return { date: `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`, timezone };
}
