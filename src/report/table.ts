// The report's one HTML table shape, shared by the main page and its self-contained sections.

/**
 * `<table>` with a header row; the first `nameCols` columns are left-aligned names. Cells are HTML
 * (escape text before passing it); a cell that already starts with `<td` is used as it is.
 */
export function htmlTable(head: string[], rows: string[][], nameCols = 1): string {
  const th = head.map((h, j) => `<th${j < nameCols ? ' class="name"' : ''}>${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, j) => (c.startsWith('<td') ? c : `<td${j < nameCols ? ' class="name"' : ''}>${c}</td>`)).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}
