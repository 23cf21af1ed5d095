/**
 * A small RFC 4180 reader: comma (or any one-character) separator, fields quoted with `"`
 * where they contain the separator, a quote (doubled: `""`) or a line break.
 * MovieLens needs it for titles such as `"American President, The (1995)"`.
 *
 * Records keep the 1-based line number they start on, so a loader can report
 * malformed rows by line. A quote that is never closed makes the rest of the file
 * one bad record rather than a silent truncation: it is returned with `error` set.
 */
export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number
  fields: string[]
  /** Set when the record could not be parsed (unterminated quote, stray quote). */
  error?: string
}

export function* parseCsv(text: string, separator = ','): Generator<CsvRecord> {
  const n = text.length
  let i = 0
  let line = 1
  // A UTF-8 BOM would otherwise become part of the first header name.
  if (text.charCodeAt(0) === 0xfeff) i = 1
  while (i < n) {
    const startLine = line
    const fields: string[] = []
    let error: string | undefined
    let field = ''
    let endOfRecord = false
    while (!endOfRecord) {
      if (i < n && text[i] === '"') {
        // Quoted field.
        i++
        let closed = false
        while (i < n) {
          const c = text[i]!
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"'
              i += 2
              continue
            }
            i++
            closed = true
            break
          }
          if (c === '\n') line++
          field += c
          i++
        }
        if (!closed) {
          error = 'unterminated quoted field'
          fields.push(field)
          yield { line: startLine, fields, error }
          return
        }
        // After the closing quote only a separator or the end of the record may follow.
        if (i < n && text[i] !== separator && text[i] !== '\n' && text[i] !== '\r') {
          error ??= 'characters after a closing quote'
          while (i < n && text[i] !== separator && text[i] !== '\n') field += text[i++]
        }
      } else {
        while (i < n) {
          const c = text[i]!
          if (c === separator || c === '\n' || c === '\r') break
          if (c === '"') error ??= 'quote inside an unquoted field'
          field += c
          i++
        }
      }
      fields.push(field)
      field = ''
      if (i >= n) {
        endOfRecord = true
      } else if (text[i] === separator) {
        i++
      } else {
        // \r\n, \n or a lone \r ends the record.
        if (text[i] === '\r') i++
        if (text[i] === '\n') i++
        line++
        endOfRecord = true
      }
    }
    // Blank lines are not records (a trailing newline must not count as a malformed row).
    if (fields.length === 1 && fields[0] === '' && error === undefined) continue
    yield error === undefined ? { line: startLine, fields } : { line: startLine, fields, error }
  }
}

/** Split a simple delimited line format (no quoting), as ML-1M `::` and ML-100k tab/`|` files use. */
export function* parseDelimited(text: string, separator: string): Generator<CsvRecord> {
  const lines = text.split('\n')
  for (let k = 0; k < lines.length; k++) {
    let l = lines[k]!
    if (l.endsWith('\r')) l = l.slice(0, -1)
    if (l === '') continue
    yield { line: k + 1, fields: l.split(separator) }
  }
}
