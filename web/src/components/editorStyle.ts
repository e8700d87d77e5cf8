// The editors' look: highlighting colours from CSS variables (so the
// editors follow the theme), fonts and focus.

import { HighlightStyle } from '@codemirror/language';
import { EditorView } from '@codemirror/view';
import { tags } from '@lezer/highlight';

// Colours come from CSS variables, so the editor follows the theme.
export const highlight = HighlightStyle.define([
  { tag: tags.number, color: 'var(--hl-number)' },
  { tag: tags.string, color: 'var(--hl-string)' },
  { tag: tags.keyword, color: 'var(--hl-keyword)', fontWeight: 'bold' },
  { tag: tags.function(tags.variableName), color: 'var(--hl-function)' },
  { tag: tags.labelName, color: 'var(--hl-label)' },
  { tag: tags.typeName, color: 'var(--hl-function)' },
  { tag: tags.operator, color: 'var(--hl-operator)' },
  { tag: tags.modifier, color: 'var(--hl-keyword)', fontWeight: 'bold' },
  { tag: tags.paren, color: 'var(--hl-paren)' },
  { tag: tags.squareBracket, color: 'var(--hl-paren)' },
  { tag: tags.brace, color: 'var(--hl-paren)' },
  { tag: tags.invalid, color: 'var(--hl-invalid)' },
  { tag: tags.comment, color: 'var(--hl-comment)', fontStyle: 'italic' },
]);

export const editorTheme = EditorView.theme({
  '&': { fontSize: '14px' },
  '.cm-content': { fontFamily: 'var(--mono)', padding: '6px 0' },
  '.cm-line': { lineHeight: '1.6' },
  '&.cm-focused': { outline: 'none' },
});
