/**
 * Text cleaning and escaping for the XML and HTML the lab writes (reports, JUnit). Everything in
 * a report comes from logs, error stacks and the docs' sentences, so any of it may hold markup,
 * quotes, ANSI colour codes (vitest's assertion messages) or control characters.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
// Characters XML 1.0 forbids outright (and that mean nothing to a reader in HTML either):
// C0 controls except tab/newline/return, lone surrogates, U+FFFE/U+FFFF.
const NOT_XML_CHAR =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Drops ANSI colour codes and replaces characters no XML/HTML document may carry with U+FFFD. */
export function cleanText(value: string): string {
  return value.replace(ANSI, '').replace(NOT_XML_CHAR, '\ufffd');
}

const XML_TEXT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const XML_ATTR: Record<string, string> = {
  ...XML_TEXT,
  '"': '&quot;',
  "'": '&apos;',
  // Attribute-value normalisation would turn these into spaces; character references keep them.
  '\n': '&#10;',
  '\r': '&#13;',
  '\t': '&#9;',
};

export function xmlText(value: string): string {
  return cleanText(value).replace(/[&<>]/g, (c) => XML_TEXT[c]!);
}

export function xmlAttr(value: string): string {
  return cleanText(value).replace(/[&<>"'\n\r\t]/g, (c) => XML_ATTR[c]!);
}

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes for HTML text and quoted attribute values alike. */
export function html(value: unknown): string {
  return cleanText(String(value)).replace(/[&<>"']/g, (c) => HTML[c]!);
}
