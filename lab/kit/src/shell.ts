/**
 * One word for a POSIX shell, whatever it holds: plain words stay as they are (readable in logs),
 * anything else goes in single quotes with each single quote closed, escaped and reopened.
 */
export function shellQuote(word: string): string {
  return /^[\w./=:@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command line for a POSIX shell from its words. */
export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
