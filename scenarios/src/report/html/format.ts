/** Small, deterministic formatting for the HTML report (no locale: the same run renders the same). */
import { html } from '@multiclaw-lab/kit';

/** A status as a person reads it: colour AND a word (never colour alone). */
export function badge(status: string): string {
  return `<span class="badge st-${html(status)}">${html(status.toUpperCase())}</span>`;
}

/** A fragment id for any claim or scenario id: characters outside [A-Za-z0-9_-] become _hex_. */
export function anchor(kind: 'claim' | 'scenario', id: string): string {
  return `${kind}-${id.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.codePointAt(0)!.toString(16)}_`)}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  if (Math.abs(ms) < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${((ms - minutes * 60_000) / 1000).toFixed(1)} s`;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
}

/** "12:00:01.234" in UTC for a parseable ISO time, else the text as given. */
export function clockTime(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t).toISOString().slice(11, 23);
}

/** "+1.234 s" since `start`, or '' when either time cannot be read. */
export function offset(iso: string, start: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t) || Number.isNaN(start)) return '';
  const s = (t - start) / 1000;
  return `${s < 0 ? '-' : '+'}${Math.abs(s).toFixed(3)} s`;
}

function compactValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
  } catch {
    // a cycle, which JSON-read results cannot hold but in-memory ones might
    return String(value);
  }
}

/** `key=value` pairs on one line: strings bare when they have no spaces, everything else as JSON. */
export function compactFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${compactValue(v)}`)
    .join(' ');
}
