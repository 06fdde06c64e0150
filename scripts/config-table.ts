/**
 * Prints the README's configuration table, generated from SETTINGS (the list the
 * loader and the validator use), so the documentation cannot describe a key the
 * code does not have. test/docs.test.ts fails when the README's copy differs.
 *
 *   node dist/scripts/config-table.js            print the table
 *   node dist/scripts/config-table.js --write    replace it in ./README.md, between the markers
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { SETTINGS, type Setting, type SettingType } from '../src/config/settings.js';

export const TABLE_START = '<!-- config-table:start -->';
export const TABLE_END = '<!-- config-table:end -->';

const code = (value: string | number | boolean): string => `\`${value}\``;

function typeOf(type: SettingType): string {
  switch (type.kind) {
    case 'string':
      return type.minLength && type.minLength > 1
        ? `string, at least ${type.minLength} characters`
        : 'string';
    case 'url':
      return `URL: ${type.schemes.map((s) => code(`${s}:`)).join(', ')}`;
    case 'integer':
      return `integer, ${type.min}–${type.max}`;
    case 'boolean':
      return 'boolean';
    case 'enum':
      return `one of ${type.values.map(code).join(', ')}`;
    case 'list':
      return `comma-separated list of ${type.values.map(code).join(', ')}`;
    case 'strings':
      return 'list of strings (comma-separated in the environment)';
  }
}

function defaultOf(setting: Setting): string {
  const value = setting.default;
  if (value === null) return '*(unset)*';
  if (Array.isArray(value) && value.length === 0) return '*(none)*';
  if (Array.isArray(value)) return code(value.join(','));
  return code(value);
}

/** A table cell: no line breaks, no column separators. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

/** The markdown table of every configuration key, one row per setting, in SETTINGS order. */
export function configTable(settings: readonly Setting[] = SETTINGS): string {
  const rows = [
    '| Key in `latchkey.config.json` | Environment variable | Type | Default | Description |',
    '| --- | --- | --- | --- | --- |',
    ...settings.map(
      (s) =>
        `| ${code(s.path)} | ${code(s.env)} | ${cell(typeOf(s.type))} | ${cell(defaultOf(s))} | ${cell(s.description)} |`,
    ),
  ];
  return `${rows.join('\n')}\n`;
}

/** The text between the markers (without them), or null when the markers are missing. */
export function tableIn(markdown: string): string | null {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start === -1 || end === -1 || end < start) return null;
  return markdown.slice(start + TABLE_START.length, end).replace(/^\n/, '');
}

/** The markdown with the text between the markers replaced by `table`. */
export function withTable(markdown: string, table: string): string {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start === -1 || end === -1 || end < start)
    throw new Error(`the markers ${TABLE_START} and ${TABLE_END} are missing`);
  return `${markdown.slice(0, start + TABLE_START.length)}\n${table}${markdown.slice(end)}`;
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;

if (invokedDirectly) {
  if (process.argv.includes('--write')) {
    const file = 'README.md';
    writeFileSync(file, withTable(readFileSync(file, 'utf8'), configTable()));
    process.stdout.write(`updated the configuration table in ${file}\n`);
  } else {
    process.stdout.write(configTable());
  }
}
