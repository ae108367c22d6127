// Reads the output of Windows' `tasklist /FO CSV /NH`: one quoted CSV line per process of every
// session, "image","PID","session name","session#","memory" (docs/SESSIONS.md §2.2). Pure. The
// session name and memory columns are translated and formatted for the system's locale
// ("Console", "12.345 K", "12 345 Ko"); only the PID and session number are read.

/** A process's session, or `conflict` when the listing names it twice with different sessions. */
export type ProcessSession = number | 'conflict';

/**
 * PID → session number for every process line. Lines that are not CSV (the "INFO: No tasks are
 * running…" line, in any language) are skipped. Undefined when a CSV line does not have the five
 * columns with numbers where the PID and the session number belong.
 *
 * @example
 * parseTasklistCsv('"chrome.exe","7788","RDP-Tcp#3","3","123,456 K"\r\n'); // Map { 7788 => 3 }
 */
export function parseTasklistCsv(text: string): Map<number, ProcessSession> | undefined {
  const sessions = new Map<number, ProcessSession>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line.startsWith('"')) continue;
    const columns = parseCsvLine(line);
    if (columns === undefined || columns.length !== 5) return undefined;
    const pid = parseCount(columns[1] as string);
    const session = parseCount(columns[3] as string);
    if (pid === undefined || session === undefined) return undefined;
    const seen = sessions.get(pid);
    sessions.set(pid, seen === undefined || seen === session ? session : 'conflict');
  }
  return sessions;
}

/**
 * The fields of one CSV line whose every field is quoted (`""` is a quote inside one), as
 * tasklist writes it; undefined when the line is not that.
 */
export function parseCsvLine(line: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] !== '"') return undefined;
    let field = '';
    i++;
    for (;;) {
      const quote = line.indexOf('"', i);
      if (quote < 0) return undefined;
      field += line.slice(i, quote);
      if (line[quote + 1] === '"') {
        field += '"';
        i = quote + 2;
        continue;
      }
      i = quote + 1;
      break;
    }
    fields.push(field);
    if (i === line.length) return fields;
    if (line[i] !== ',') return undefined;
    i++;
  }
}

/**
 * A whole number as tasklist may print it: plain digits, or digit groups of three with one
 * separator the locale uses (`,` `.` `'` a space, a no-break space: U+00A0, U+202F, or byte 0xFF of
 * an OEM code page read as latin1). Undefined otherwise.
 */
export function parseCount(text: string): number | undefined {
  if (/^\d{1,10}$/.test(text)) return Number(text);
  const grouped = /^\d{1,3}([,.' \u00a0\u202f\u00ff])\d{3}(?:\1\d{3})*$/.exec(text);
  if (!grouped) return undefined;
  const value = Number(text.split(grouped[1] as string).join(''));
  return Number.isSafeInteger(value) ? value : undefined;
}
