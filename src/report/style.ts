// The style both self-contained report pages share (the evaluation report and the comparison's),
// so they read as one product; each page adds the rules of its own tables.

/** The shared rules: type, headings, tables, figures; `maxWidth` in CSS pixels. */
export function baseCss(maxWidth: number): string {
  return `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1b1b1b;max-width:${maxWidth}px;margin:24px auto;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:20px 0 6px}.meta{color:#555;margin:0 0 12px}
table{border-collapse:collapse;margin:8px 0 12px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d5d5d5;padding:3px 8px;text-align:right}th{background:#f4f4f4}
td.name,th.name{text-align:left;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.grid{display:flex;flex-wrap:wrap;gap:10px}.grid figure{margin:0}figcaption{font-size:12px;color:#555;text-align:center}
details{margin:6px 0}summary{cursor:pointer;color:#234}.note{color:#444}
@media print{details{display:block}}
`;
}
