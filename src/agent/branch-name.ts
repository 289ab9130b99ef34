/** The branch of a task: `conveyor/<issue>-<slug>` (slug: lowercase words of the title). */
export function branchName(id: string, title: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/g, "");
  const safeId = id.replace(/[^A-Za-z0-9_-]+/g, "-");
  return `conveyor/${safeId}${slug ? `-${slug}` : ""}`;
}
