/** "3 min ago" from a Unix time in seconds. */
export function timeAgo(sec: number): string {
  const d = Date.now() / 1000 - sec;
  if (d < 60) return "just now";
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  return new Date(sec * 1000).toISOString().slice(0, 10);
}
