/**
 * The syntax tree of a keepalived.conf after preprocessing (includes spliced in, `$NAME`
 * parameters expanded, `@id` conditional lines resolved). keepalived's grammar is line-based:
 * a statement is one line of words, optionally followed by a `{ ... }` block of statements.
 * List blocks such as `virtual_ipaddress` are blocks whose statements are the list entries.
 */

/** SourcePos is a position in a configuration file: 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** Word is one token of a statement, unquoted and unescaped, with where it started. */
export interface Word {
  text: string;
  pos: SourcePos;
  /** quoted is true when the word was written in double quotes. */
  quoted: boolean;
}

/** Statement is a keyword with its arguments and an optional block. */
export interface Statement {
  keyword: Word;
  args: Word[];
  /** block holds the statements between `{` and `}`; undefined when there was no block. */
  block?: Statement[];
  /** blockPos is where the block's `{` stood. */
  blockPos?: SourcePos;
}
